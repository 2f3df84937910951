/**
 * `distill report`: one self-contained HTML file (no network at view time): the comparison,
 * size bars, CVE bars by severity, per-layer sizes, audit findings and a searchable SBOM table.
 * Chart.js is read from the installed package and inlined; the data is embedded as JSON with
 * `<` escaped so no value can close the script element.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { comparisonRows, type Comparison } from './compare.ts';
import { VERSION } from '../version.ts';
import { maskText } from '../util/mask.ts';

export interface ReportExtras {
  title?: string;
  /** Lint findings of the original Dockerfile, shown in their own section. */
  lint?: { file: string; findings: { rule: string; severity: string; line: number; message: string }[] };
  /** The converted Dockerfile and the reasons for each change. */
  convert?: { file: string; dockerfile: string; changes: { line?: number; kind: string; reason: string }[] };
  /** Verification results per image label. */
  verify?: { label: string; passed: boolean; checks: { name: string; passed: boolean; detail: string }[] }[];
  /** When the report was made (ISO); omitted from the page when absent so output is reproducible. */
  generatedAt?: string;
}

function chartJs(): string {
  const require = createRequire(import.meta.url);
  // The UMD build is not in the package's exports map; it sits beside the CommonJS entry.
  return readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function bytes(n: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${u[i]}`;
}

/** Renders the report page. */
export function renderReport(c: Comparison, extras: ReportExtras = {}): string {
  const title = extras.title ?? 'distill report';
  const data = {
    images: c.images.map((im) => ({
      label: im.label,
      compressed: im.compressed,
      uncompressed: im.uncompressed,
      vulnerabilities: im.vulnerabilities,
      layers: im.layers.map((l) => ({ size: l.uncompressed, compressed: l.compressed, createdBy: maskText(l.createdBy ?? '') })),
    })),
  };
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  const rows = comparisonRows(c, { bytes });
  const cards = c.images
    .map(
      (im) => `<div class="card ${im.distroless ? 'ok' : 'bad'}"><div class="grade">${esc(im.grade)}</div><div><h3>${esc(im.label)}</h3><p>${esc(im.verdict)}</p><p class="muted">${esc(im.ref)}<br>${esc(im.digest)}</p></div></div>`,
    )
    .join('\n');
  const findings = c.images
    .map(
      (im) => `<h3>${esc(im.label)} <span class="muted">grade ${esc(im.grade)} (${im.score}/100)</span></h3>
${im.audit.findings.length ? `<table><thead><tr><th>severity</th><th>rule</th><th>finding</th><th>details</th></tr></thead><tbody>${im.audit.findings.map((f) => `<tr><td><span class="sev ${esc(f.severity)}">${esc(f.severity)}</span></td><td>${esc(f.rule)}</td><td>${esc(f.title)}</td><td>${esc(f.message)}</td></tr>`).join('')}</tbody></table>` : '<p>No findings.</p>'}`,
    )
    .join('\n');
  const sbomRows = c.images
    .flatMap((im) => im.sbom.packages.map((p) => `<tr><td>${esc(im.label)}</td><td>${esc(p.type)}</td><td>${esc(p.name)}</td><td>${esc(p.version)}</td><td>${esc((p.licenses ?? []).join(', '))}</td><td class="mono">${esc(p.purl)}</td></tr>`))
    .join('');
  const lint = extras.lint
    ? `<section><h2>Lint: ${esc(extras.lint.file)}</h2>${extras.lint.findings.length ? `<table><thead><tr><th>line</th><th>rule</th><th>severity</th><th>message</th></tr></thead><tbody>${extras.lint.findings.map((f) => `<tr><td>${f.line}</td><td>${esc(f.rule)}</td><td><span class="sev ${esc(f.severity)}">${esc(f.severity)}</span></td><td>${esc(f.message)}</td></tr>`).join('')}</tbody></table>` : '<p>No findings.</p>'}</section>`
    : '';
  const convert = extras.convert
    ? `<section><h2>Converted Dockerfile: ${esc(extras.convert.file)}</h2><ul>${extras.convert.changes.map((ch) => `<li>${ch.line ? `line ${ch.line}: ` : ''}<b>${esc(ch.kind)}</b> ${esc(ch.reason)}</li>`).join('')}</ul><pre>${esc(extras.convert.dockerfile)}</pre></section>`
    : '';
  const verify = extras.verify
    ? `<section><h2>Verification (run for real)</h2>${extras.verify.map((v) => `<h3>${esc(v.label)}: <span class="${v.passed ? 'pass' : 'fail'}">${v.passed ? 'passed' : 'failed'}</span></h3><ul>${v.checks.map((ch) => `<li class="${ch.passed ? 'pass' : 'fail'}">${ch.passed ? '✔' : '✘'} ${esc(ch.name)}: ${esc(ch.detail)}</li>`).join('')}</ul>`).join('')}</section>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
  :root { --ok: #1a7f37; --bad: #cf222e; --muted: #57606a; --bg: #f6f8fa; }
  body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2328; }
  header { background: #0d1117; color: #fff; padding: 18px 32px; }
  header h1 { margin: 0; font-size: 22px; }
  main { max-width: 1200px; margin: 0 auto; padding: 16px 32px 48px; }
  section { margin-top: 28px; }
  h2 { border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
  .cards { display: flex; gap: 16px; flex-wrap: wrap; }
  .card { flex: 1 1 320px; display: flex; gap: 14px; border: 1px solid #d0d7de; border-radius: 8px; padding: 12px 16px; background: var(--bg); }
  .card.ok { border-left: 6px solid var(--ok); } .card.bad { border-left: 6px solid var(--bad); }
  .card h3 { margin: 0; } .card p { margin: 4px 0; }
  .grade { font-size: 40px; font-weight: 700; width: 48px; text-align: center; }
  .muted { color: var(--muted); font-size: 12px; font-weight: normal; }
  table { border-collapse: collapse; width: 100%; margin: 8px 0; }
  th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
  th { background: var(--bg); }
  .charts { display: grid; grid-template-columns: 1fr 1fr; gap: 24px; }
  .chart { position: relative; height: 300px; }
  .sev { padding: 0 6px; border-radius: 10px; color: #fff; font-size: 12px; }
  .sev.critical, .sev.error { background: #8b0000; } .sev.high { background: var(--bad); } .sev.medium, .sev.warning { background: #bf8700; }
  .sev.low { background: #0969da; } .sev.info { background: var(--muted); }
  .pass { color: var(--ok); } .fail { color: var(--bad); }
  .mono, pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
  pre { background: var(--bg); padding: 12px; overflow-x: auto; border-radius: 6px; }
  input[type=search] { width: 320px; padding: 6px; }
  @media (max-width: 900px) { .charts { grid-template-columns: 1fr; } }
</style>
</head>
<body>
<header><h1>${esc(title)}</h1><div class="muted">distill ${VERSION}${extras.generatedAt ? ` · ${esc(extras.generatedAt)}` : ''}</div></header>
<main>
<section><div class="cards">${cards}</div></section>
<section><h2>Comparison</h2>
<table id="comparison"><thead><tr><th></th>${c.images.map((im) => `<th>${esc(im.label)}</th>`).join('')}</tr></thead>
<tbody>${rows.map((r) => `<tr>${r.map((cell, i) => (i === 0 ? `<th>${esc(cell)}</th>` : `<td>${esc(cell)}</td>`)).join('')}</tr>`).join('')}</tbody></table>
${c.vulnerabilityNote ? `<p class="muted">${esc(c.vulnerabilityNote)}</p>` : ''}
</section>
<section><h2>Charts</h2><div class="charts">
<div><h3>Image size</h3><div class="chart"><canvas id="sizeChart"></canvas></div></div>
<div><h3>Vulnerabilities by severity</h3><div class="chart"><canvas id="cveChart"></canvas></div>${c.vulnerabilityNote ? '<p class="muted">No vulnerability database was loaded, so CVEs are not counted.</p>' : ''}</div>
<div><h3>Layer sizes (uncompressed)</h3><div class="chart"><canvas id="layerChart"></canvas></div></div>
</div></section>
${verify}
<section><h2>Audit findings</h2>${findings}</section>
${lint}
${convert}
<section><h2>Packages (SBOM)</h2>
<p><input type="search" id="sbomSearch" placeholder="filter packages…" aria-label="filter packages"> <span id="sbomCount" class="muted"></span></p>
<table id="sbom"><thead><tr><th>image</th><th>type</th><th>name</th><th>version</th><th>licenses</th><th>purl</th></tr></thead><tbody>${sbomRows}</tbody></table>
</section>
</main>
<script type="application/json" id="distill-data">${json}</script>
<script>${chartJs()}</script>
<script>
(function () {
  var data = JSON.parse(document.getElementById('distill-data').textContent);
  var labels = data.images.map(function (i) { return i.label; });
  var MiB = function (n) { return Math.round(n / 1048576 * 100) / 100; };
  window.distillCharts = [];
  window.distillCharts.push(new Chart(document.getElementById('sizeChart'), {
    type: 'bar',
    data: { labels: labels, datasets: [
      { label: 'compressed (MiB)', data: data.images.map(function (i) { return MiB(i.compressed); }), backgroundColor: '#0969da' },
      { label: 'uncompressed (MiB)', data: data.images.map(function (i) { return MiB(i.uncompressed); }), backgroundColor: '#8250df' }
    ] },
    options: { responsive: true, maintainAspectRatio: false, animation: false }
  }));
  var sev = ['critical', 'high', 'medium', 'low', 'unknown'];
  var colours = { critical: '#8b0000', high: '#cf222e', medium: '#bf8700', low: '#0969da', unknown: '#57606a' };
  window.distillCharts.push(new Chart(document.getElementById('cveChart'), {
    type: 'bar',
    data: { labels: labels, datasets: sev.map(function (s) { return { label: s, backgroundColor: colours[s], data: data.images.map(function (i) { return i.vulnerabilities ? i.vulnerabilities[s] : 0; }) }; }) },
    options: { responsive: true, maintainAspectRatio: false, animation: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } }
  }));
  var maxLayers = Math.max.apply(null, data.images.map(function (i) { return i.layers.length; }));
  var palette = ['#0969da', '#8250df', '#1a7f37', '#bf8700', '#cf222e', '#57606a', '#0550ae', '#6639ba'];
  var layerSets = [];
  for (var k = 0; k < maxLayers; k++) {
    layerSets.push({ label: 'layer ' + (k + 1), backgroundColor: palette[k % palette.length], data: data.images.map(function (i) { return i.layers[k] ? MiB(i.layers[k].size) : 0; }) });
  }
  window.distillCharts.push(new Chart(document.getElementById('layerChart'), {
    type: 'bar',
    data: { labels: labels, datasets: layerSets },
    options: { indexAxis: 'y', responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: maxLayers <= 12 } }, scales: { x: { stacked: true, title: { display: true, text: 'MiB' } }, y: { stacked: true } } }
  }));
  var search = document.getElementById('sbomSearch');
  var rows = Array.prototype.slice.call(document.querySelectorAll('#sbom tbody tr'));
  var count = document.getElementById('sbomCount');
  function filter() {
    var q = search.value.toLowerCase();
    var shown = 0;
    rows.forEach(function (r) { var hit = !q || r.textContent.toLowerCase().indexOf(q) !== -1; r.style.display = hit ? '' : 'none'; if (hit) shown++; });
    count.textContent = shown + ' of ' + rows.length + ' packages';
  }
  search.addEventListener('input', filter);
  filter();
})();
</script>
</body>
</html>
`;
}
