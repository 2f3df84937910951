/** DL1052: chmod 777 / o+w, or COPY/ADD --chmod giving write access to everyone. */
import { allRuns, type RawFinding, type Rule } from './rule.ts';

/** True when a chmod mode grants write to "others" (octal …2/3/6/7 or symbolic o+w / a+w / +w). */
export function worldWritable(mode: string): boolean {
  if (/^[0-7]{3,4}$/.test(mode)) return (Number.parseInt(mode.slice(-1), 8) & 2) !== 0;
  return mode.split(',').some((part) => {
    const m = /^([ugoa]*)([+=])([rwxXst]*)$/.exec(part);
    return !!m && (m[1] === '' || /[oa]/.test(m[1] ?? '')) && (m[3] ?? '').includes('w');
  });
}

export const rule: Rule = {
  id: 'DL1052',
  name: 'world-writable',
  severity: 'warning',
  description: 'Files are made world-writable (chmod 777, o+w).',
  fix: 'Grant write to the owning user only (e.g. `chmod 755`, `chown 65532:65532`), or keep the path read-only.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const r of allRuns(ctx.model)) {
      for (const c of r.cmds) {
        if (c.argv[0] !== 'chmod') continue;
        const mode = c.argv.slice(1).find((x) => !x.startsWith('-'));
        if (mode && worldWritable(mode)) {
          out.push({ line: r.ins.line, message: `chmod ${mode} makes files writable by every user` });
          break;
        }
      }
    }
    for (const i of ctx.model.instructions) {
      if (i.keyword !== 'COPY' && i.keyword !== 'ADD') continue;
      const mode = i.flags.find((f) => f.name === 'chmod')?.value;
      if (mode && worldWritable(mode)) out.push({ line: i.line, message: `${i.keyword} --chmod=${mode} makes files writable by every user` });
    }
    return out;
  },
};
