/** HTTP probes for e2e tests: poll a loopback URL until a container's server answers. */

/** GETs `url` until it answers JSON or `deadline` (epoch ms) passes; then throws with the last error. */
export async function getJson(url: string, deadline: number): Promise<{ status: number; body: Record<string, unknown> }> {
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  throw new Error(`no answer from ${url}: ${String(last)}`);
}
