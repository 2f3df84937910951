/**
 * The HTML report opens in headless Chromium (Debian's chromium via playwright-core) with no
 * console errors and its three charts drawn; a screenshot is kept under test-output/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { makeImage, tempDir } from '../helpers/images.ts';
import { writeImage } from '../../src/oci/reference.ts';
import { runDistill, ROOT } from '../helpers/cli.ts';

test('report.html renders its charts in Chromium with no console errors', async () => {
  const dir = tempDir();
  const fat = await makeImage([
    [{ name: 'bin/', type: 'directory' }, { name: 'bin/bash', content: Buffer.alloc(200_000, 7), mode: 0o755 }, { name: 'bin/sh', type: 'symlink', linkname: 'bash' }],
    [{ name: 'app/', type: 'directory' }, { name: 'app/index.js', content: 'console.log("<script>alert(1)</script>")' }],
  ]);
  const slim = await makeImage([[{ name: 'app/', type: 'directory' }, { name: 'app/index.js', content: 'console.log(1)' }]], { user: '65532' });
  await writeImage(fat, `oci:${join(dir, 'fat')}:before`);
  await writeImage(slim, `oci:${join(dir, 'slim')}:after`);
  const out = join(dir, 'report.html');
  const r = await runDistill(['report', `oci:${join(dir, 'fat')}:before`, `oci:${join(dir, 'slim')}:after`, '-o', out, '--title', 'before <b>& after</b>'], {
    env: { DISTILL_CACHE_DIR: tempDir('distill-report-cache-') },
  });
  assert.equal(r.code, 0, r.stderr);
  const html = readFileSync(out, 'utf8');
  assert.doesNotMatch(html, /<script src=|<link [^>]*href="http/, 'no network at view time');
  assert.match(html, /before &lt;b&gt;&amp; after&lt;\/b&gt;/, 'user text is escaped');

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (req) => !req.url().startsWith('file:') && requests.push(req.url()));
    await page.goto(`file://${out}`);
    // Page functions run in the browser; this project's types have no DOM lib, hence `any`.
    await page.waitForFunction(() => (globalThis as any).distillCharts?.length === 3);
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [], 'the page loads nothing from the network');
    // every chart canvas has pixels drawn on it
    const drawn = await page.evaluate(() =>
      ['sizeChart', 'cveChart', 'layerChart'].map((id) => {
        const c = (globalThis as any).document.getElementById(id);
        const px: Uint8ClampedArray = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i]! > 0) n++;
        return n;
      }),
    );
    for (const n of drawn) assert.ok(n > 1000, `chart drawn (${n} pixels)`);
    const table = await page.locator('#comparison').innerText();
    assert.match(table, /shell\?\s+yes \(bash, sh\)\s+no/);
    await page.fill('#sbomSearch', 'nothing-matches-this');
    assert.match(await page.locator('#sbomCount').innerText(), /^0 of \d+ packages$/);
    const shots = join(ROOT, 'test-output', 'screenshots');
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, 'report.png'), fullPage: true });
    assert.ok(existsSync(join(shots, 'report.png')));
  } finally {
    await browser.close();
  }
});
