/** DL1094: EXPOSE of a port that does not exist (0, above 65535, a reversed range, not a number). */
import { substituteVars } from '../parse.ts';
import type { RawFinding, Rule } from './rule.ts';

/** Why an EXPOSE word is not a valid port or port range, or null when it is one (or holds a variable). */
export function badPort(word: string): string | null {
  if (/\$/.test(word)) return null;
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(word);
  if (!m) return 'is not a port (NUMBER[-NUMBER][/tcp|/udp|/sctp])';
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo < 1 || lo > 65535 || hi < 1 || hi > 65535) return 'is outside 1-65535';
  if (hi < lo) return 'is a range that ends before it starts';
  return null;
}

export const rule: Rule = {
  id: 'DL1094',
  name: 'expose-invalid-port',
  severity: 'error',
  description: 'EXPOSE names a port outside 1-65535 (or a malformed port); the build fails.',
  fix: 'EXPOSE the port the app listens on, 1-65535, e.g. `EXPOSE 8080`.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const i of ctx.model.instructions) {
      if (i.keyword !== 'EXPOSE') continue;
      for (const word of i.args.split(/\s+/).filter(Boolean)) {
        const resolved = substituteVars(word, i.vars);
        const why = badPort(resolved);
        if (why) out.push({ line: i.line, message: `EXPOSE ${resolved === word ? word : `${word} (${resolved})`} ${why}` });
      }
    }
    return out;
  },
};
