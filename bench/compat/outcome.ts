/**
 * What a probe gave: its value as JSON data, or the error it threw. The same function runs
 * a probe in plain Node (node-probe.ts) and inside the Nimbus function that wraps it
 * (wrapper.ts), so both sides are settled and serialised alike.
 */
export type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string };

export async function settle(probe: () => unknown): Promise<Outcome> {
  try {
    const value: unknown = await probe();
    // JSON in, JSON out: what is compared is what the probe's output is as data.
    return { ok: true, value: value === undefined ? null : JSON.parse(JSON.stringify(value)) };
  } catch (e) {
    const err = e as { name?: unknown; message?: unknown; stack?: unknown };
    const head = typeof err?.message === 'string' ? `${String(err.name ?? 'Error')}: ${err.message}` : String(e);
    const frame = typeof err?.stack === 'string' ? err.stack.split('\n').find((l) => l.trim().startsWith('at ')) : undefined;
    return { ok: false, error: frame ? `${head} (${frame.trim()})` : head };
  }
}
