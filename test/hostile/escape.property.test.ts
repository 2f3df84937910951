/**
 * Property: for 1,000 random byte strings put into file names, ENV values, history lines, users,
 * package names and versions, audit findings and error inputs, no text output holds a raw byte
 * below 0x20 other than the printers' own newlines (nor DEL or a C1 control). Seeded, so a failure
 * reproduces; the failing string is printed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspectImage } from '../../src/inspect/inspect.ts';
import { inspectText } from '../../src/cli/commands/inspect.ts';
import { sbomTable } from '../../src/cli/commands/sbom.ts';
import { auditText } from '../../src/cli/commands/audit.ts';
import { DistillError } from '../../src/util/errors.ts';
import type { Sbom } from '../../src/analyze/sbom.ts';
import type { AuditResult } from '../../src/analyze/audit/index.ts';
import { file, gzLayer, memImage, rawTar } from '../layers/helpers.ts';
import { hasRawControl } from './run.ts';
import { rng } from '../helpers/rng.ts';

/** A random string of 1..40 bytes, biased to control characters, decoded as latin1 (every byte a char). */
function randomString(next: () => number): string {
  const n = 1 + Math.floor(next() * 40);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = next() < 0.5 ? Math.floor(next() * 0x20) : Math.floor(next() * 256);
  return b.toString('latin1');
}

/** The same string as a tar member name: no NUL (it ends a name) and no `/`, and not `.`/`..`. */
const asName = (s: string) => `f${s.replace(/[\0/]/g, '_')}`;

test('1,000 random strings never reach text output as raw control bytes', async () => {
  const next = rng(20);
  for (let i = 0; i < 1000; i++) {
    const s = randomString(next);
    const label = JSON.stringify(s);
    // Names and values only go through the printers here; the first 100 also through an image.
    if (i < 100) {
      const img = memImage([gzLayer(rawTar([file(asName(s), 'x')]))], {
        config: { Env: [`V=${s}`], User: s, WorkingDir: s, Entrypoint: [s] },
        history: [{ created_by: s }],
      });
      const r = await inspectImage(img, { reference: s });
      assert.ok(!hasRawControl(inspectText(r)), `inspect text leaks ${label}`);
    }
    const sbom = {
      source: { type: 'image', name: s },
      distro: { id: s, prettyName: s },
      packages: [{ name: s, version: s, type: s, purl: 'pkg:generic/x', locations: [s], cataloger: 'x' }],
      warnings: [],
    } as unknown as Sbom;
    assert.ok(!hasRawControl(sbomTable(sbom)), `sbom table leaks ${label}`);
    const audit = {
      verdict: s,
      distroless: false,
      grade: 'C',
      score: 50,
      digest: 'sha256:' + '0'.repeat(64),
      findings: [{ severity: 'high', rule: 'DA001', key: 'shell', title: s, message: s, paths: [s] }],
      ignored: [],
    } as unknown as AuditResult;
    assert.ok(!hasRawControl(auditText(audit, s)), `audit text leaks ${label}`);
    assert.ok(!hasRawControl(new DistillError(s, s).oneLine()), `error line leaks ${label}`);
  }
});
