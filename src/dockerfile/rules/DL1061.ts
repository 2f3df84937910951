/** DL1061: package-manager caches (apt lists, yum/dnf/zypper metadata) left in the layer. */
import { allRuns, type RawFinding, type Rule } from './rule.ts';

const MANAGERS: { name: string; uses: RegExp; cleans: RegExp; cacheMount: RegExp; hint: string }[] = [
  { name: 'apt', uses: /\bapt(-get)?\s+(\S+\s+)*(update|install)\b/, cleans: /rm\s+(-\S+\s+)*\S*\/var\/lib\/apt\/lists/, cacheMount: /\/var\/lib\/apt/, hint: 'rm -rf /var/lib/apt/lists/*' },
  { name: 'yum', uses: /\byum\s+(\S+\s+)*install\b/, cleans: /\byum\s+clean\s+all\b/, cacheMount: /\/var\/cache\/yum/, hint: 'yum clean all' },
  { name: 'dnf', uses: /\b(micro)?dnf\s+(\S+\s+)*install\b/, cleans: /\b(micro)?dnf\s+clean\s+all\b/, cacheMount: /\/var\/cache\/(dnf|libdnf5)/, hint: 'dnf clean all' },
  { name: 'zypper', uses: /\bzypper\s+(\S+\s+)*(in|install)\b/, cleans: /\bzypper\s+(clean|cc)\b/, cacheMount: /\/var\/cache\/zypp/, hint: 'zypper clean' },
];

export const rule: Rule = {
  id: 'DL1061',
  name: 'package-cache-not-cleaned',
  severity: 'info',
  description: 'A RUN that installs packages leaves the package index/cache in the layer.',
  fix: 'End the same RUN with the cleanup (`rm -rf /var/lib/apt/lists/*`, `dnf clean all`…), or use a cache mount.',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const r of allRuns(ctx.model)) {
      for (const m of MANAGERS) {
        if (!m.uses.test(r.text) || m.cleans.test(r.text)) continue;
        if (r.ins.mounts.some((x) => x.type === 'cache' && m.cacheMount.test(x.options.target ?? x.options.dst ?? x.options.destination ?? ''))) continue;
        out.push({ line: r.ins.line, message: `${m.name} cache left in the layer (add \`${m.hint}\` to this RUN)` });
      }
    }
    return out;
  },
};
