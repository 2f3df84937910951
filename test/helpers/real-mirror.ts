/**
 * Tests of the real Debian archive's files (its signed InRelease, the keyring, real .debs). Tests
 * talk to loopback only (test/helpers/network-guard.mjs), so they read the byte-for-byte copy of
 * this machine's mirror that setup recorded and the guard replays (DISTILL_APT_DIR names it); with
 * `DISTILL_TEST_REAL_MIRROR=1` (which turns the guard off) they read the mirror itself. Without
 * either, each test is listed as skipped, with the reason.
 */
import { before as nodeBefore, test as nodeTest } from 'node:test';

/** Whether the real-mirror tests were asked for. */
export const REAL_MIRROR = process.env.DISTILL_TEST_REAL_MIRROR === '1';

/** Whether they can run: against the real mirror, or the replayed recording of it. */
const RUN = REAL_MIRROR || Boolean(process.env.DISTILL_APT_DIR);

const SKIP = 'reads the Debian mirror: record it with `bash scripts/setup.sh --tests`, or run with DISTILL_TEST_REAL_MIRROR=1';

/** node:test's `test`, or a skipped stand-in when neither the replay nor the real mirror is there. */
export const test: typeof nodeTest = RUN ? nodeTest : (((name: string) => nodeTest(name, { skip: SKIP })) as unknown as typeof nodeTest);

/** node:test's `before`, or nothing when the tests are skipped. */
export const before: typeof nodeBefore = RUN ? nodeBefore : ((() => undefined) as unknown as typeof nodeBefore);
