/**
 * Tests that read the real Debian mirror named by this machine's apt sources (its signed
 * InRelease, the keyring, real .debs). Tests talk to loopback only (test/helpers/network-guard.mjs),
 * so these run only when asked: `DISTILL_TEST_REAL_MIRROR=1 npm test` on a machine that may reach
 * the mirror. Otherwise each test is listed as skipped, with the reason.
 */
import { before as nodeBefore, test as nodeTest } from 'node:test';

/** Whether the real-mirror tests were asked for. */
export const REAL_MIRROR = process.env.DISTILL_TEST_REAL_MIRROR === '1';

const SKIP = 'reads the real Debian mirror: run with DISTILL_TEST_REAL_MIRROR=1';

/** node:test's `test`, or a skipped stand-in when the real mirror was not asked for. */
export const test: typeof nodeTest = REAL_MIRROR ? nodeTest : (((name: string) => nodeTest(name, { skip: SKIP })) as unknown as typeof nodeTest);

/** node:test's `before`, or nothing when the real mirror was not asked for. */
export const before: typeof nodeBefore = REAL_MIRROR ? nodeBefore : ((() => undefined) as unknown as typeof nodeBefore);
