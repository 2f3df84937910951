/**
 * DL1063: a package install that asks for confirmation (`apt-get install` without `-y`, yum/dnf
 * without `-y`, zypper without `-n`/`-y`). A build has no terminal, so the prompt reads end of
 * input and the install aborts. microdnf is left out: it does not ask.
 */
import { runs, type RawFinding, type Rule } from './rule.ts';
import { pmCommand, type PmCommand } from './pm.ts';

const PROMPTS: Record<string, RegExp> = {
  apt: /^(install|upgrade|dist-upgrade|full-upgrade|remove|purge|autoremove|build-dep)$/,
  yum: /^(install|groupinstall|localinstall|reinstall|update|upgrade|remove|erase|autoremove)$/,
  dnf: /^(install|in|groupinstall|localinstall|reinstall|update|upgrade|remove|erase|autoremove)$/,
  zypper: /^(install|in|remove|rm|update|up|dist-upgrade|dup|patch)$/,
};

/** True when a short-option cluster (`-qy`, `-yq`) or a long option says yes. */
function saysYes(words: string[], long: RegExp): boolean {
  return words.some((w) => long.test(w) || /^-[A-Za-z]*y[A-Za-z]*$/.test(w));
}

/** True when the command will not stop at a confirmation prompt. */
export function assumesYes(c: PmCommand): boolean {
  const all = [...c.before, ...c.after];
  switch (c.manager) {
    case 'apt':
      // -qq implies -y; `-o APT::Get::Assume-Yes=true` is the config form.
      return saysYes(all, /^--(yes|assume-yes|force-yes)(=(true|yes|1))?$/) || all.some((w) => /^-[a-z]*qq[a-z]*$/.test(w) || w === '-q=2' || /^APT::Get::Assume-Yes=(true|yes|1)$/i.test(w));
    case 'yum':
    case 'dnf':
      return saysYes(all, /^--assumeyes$/) || all.some((w) => /^(--setopt=)?assumeyes=(1|true|yes)$/i.test(w));
    case 'zypper':
      return c.before.some((w) => w === '-n' || w === '--non-interactive' || /^-[A-Za-z]*n[A-Za-z]*$/.test(w)) || c.after.some((w) => w === '-y' || w === '--no-confirm');
    default:
      return true;
  }
}

export const rule: Rule = {
  id: 'DL1063',
  name: 'install-without-yes',
  severity: 'warning',
  description: 'A package install without `-y` (zypper: `-n`) stops at a prompt the build cannot answer.',
  fix: 'Add `-y` (`apt-get install -y`, `dnf install -y`) or `zypper --non-interactive install`.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const stage of ctx.model.stages) {
      const chainRuns = ctx.chain(stage).flatMap((s) => runs(s));
      // A config file that turns prompting off for every later command in the image.
      const configured = (i: number) => chainRuns.slice(0, i).some((r) => /Assume-?Yes\s*"?\s*(true|1)|assumeyes\s*=\s*(1|true)/i.test(r.text));
      chainRuns.forEach((r, i) => {
        if (r.ins.stage !== stage.index) return;
        if (/\byes(\s+\S+)?\s*\|/.test(r.text) || configured(i)) return;
        for (const c of r.cmds) {
          const pm = pmCommand(c);
          if (!pm || !PROMPTS[pm.manager]?.test(pm.sub) || assumesYes(pm)) continue;
          out.push({ line: r.ins.line, message: `${pm.program} ${pm.sub} without ${pm.manager === 'zypper' ? '--non-interactive' : '-y'}: the build cannot answer its prompt` });
          break;
        }
      });
    }
    return out;
  },
};
