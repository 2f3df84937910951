/** DL1050: a script downloaded with curl/wget is piped straight into a shell or interpreter. */
import { allRuns, type RawFinding, type Rule } from './rule.ts';

const PIPE_TO_SHELL = /\b(curl|wget)\b[^|;&\n]*\|\s*(sudo\s+(-\S+\s+)*)?(env\s+\S+=\S+\s+)*((\/usr)?\/bin\/)?(ba|da|z|k|a)?sh\b|\b(curl|wget)\b[^|;&\n]*\|\s*(sudo\s+)?(python3?|perl|ruby|node)\b/;
const SUBSHELL = /\b(ba|z)?sh\s+(-c\s+)?["']?(<\(|\$\()\s*(curl|wget)\b/;

export const rule: Rule = {
  id: 'DL1050',
  name: 'curl-pipe-shell',
  severity: 'error',
  description: 'A downloaded script is executed without verification (`curl … | sh`).',
  fix: 'Download to a file, verify its checksum or signature, then run it — in a builder stage.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const r of allRuns(ctx.model)) {
      const flat = r.text.replace(/\\\n/g, ' ');
      if (PIPE_TO_SHELL.test(flat) || SUBSHELL.test(flat)) out.push({ line: r.ins.line, message: 'a downloaded script is piped into an interpreter without verification' });
    }
    return out;
  },
};
