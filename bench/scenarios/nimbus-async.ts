/**
 * How the async scenario drives Nimbus: submits are POST /api/v1/functions/{name}/invoke
 * with `Prefer: respond-async` (answered 202 once persisted); completions are read from
 * the queue counts of GET /api/v1/async?function=<name> (succeeded + dead). Both are
 * checked against GET /api/v1/openapi.json first, so an older or newer API is reported
 * as "not measured" with the reason rather than mis-measured.
 */
import type { NimbusTarget } from '../targets/nimbus.ts';

export interface NimbusAsyncApi {
  /** Path (with the gateway as base) of the POST that queues one invocation. */
  submitPath(fn: string): string;
  readonly headers: Record<string, string>;
  /** How many async invocations of `fn` have finished (any outcome) so far. */
  completed(fn: string): Promise<number>;
  /** How many are queued or running. */
  pending(fn: string): Promise<number>;
  /**
   * Enqueue-to-start delays (ms) of the newest finished async invocations of `fn`: the
   * queue item's enqueuedAt against its first attempt's record startedAt (same id).
   */
  startDelays(fn: string, limit: number): Promise<number[]>;
}

const SUBMIT = '/api/v1/functions/{name}/invoke';
const STATUS = '/api/v1/async';

export async function nimbusAsync(n: NimbusTarget): Promise<NimbusAsyncApi> {
  const routes = await n.routes();
  for (const r of [SUBMIT, STATUS]) {
    if (!routes.includes(r)) throw new Error(`Nimbus's OpenAPI document has no ${r} (async submit and status are needed)`);
  }
  const counts = async (fn: string) => {
    const r = await n.api('GET', `${STATUS}?function=${encodeURIComponent(fn)}&limit=1`);
    if (r.status !== 200) throw new Error(`GET ${STATUS} answered ${r.status}: ${r.body.slice(0, 200)}`);
    const c = (JSON.parse(r.body) as { counts?: Record<string, number> }).counts;
    if (!c || typeof c.succeeded !== 'number') throw new Error(`GET ${STATUS} has no counts.succeeded`);
    return c;
  };
  const completed = async (fn: string) => {
    const c = await counts(fn);
    return c.succeeded + (c.dead ?? 0);
  };
  const api: NimbusAsyncApi = {
    submitPath: (fn) => SUBMIT.replace('{name}', encodeURIComponent(fn)),
    headers: { authorization: `Bearer ${n.token}`, prefer: 'respond-async' },
    completed,
    pending: async (fn) => {
      const c = await counts(fn);
      return (c.queued ?? 0) + (c.running ?? 0);
    },
    startDelays: async (fn, limit) => {
      const q = `function=${encodeURIComponent(fn)}&limit=${limit}`;
      const items = (JSON.parse((await n.api('GET', `${STATUS}?${q}`)).body) as { items: Array<{ id: string; enqueuedAt: number }> }).items;
      const records = (JSON.parse((await n.api('GET', `/api/v1/invocations?${q}`)).body) as {
        items: Array<{ id: string; startedAt: number; attempt: number; trigger: string }>;
      }).items;
      const startedAt = new Map(records.filter((r) => r.trigger === 'async' && r.attempt === 1).map((r) => [r.id, r.startedAt]));
      const delays: number[] = [];
      for (const item of items) {
        const at = startedAt.get(item.id);
        if (at !== undefined) delays.push(Math.max(0, at - item.enqueuedAt));
      }
      return delays;
    },
  };
  // One real submit, to fail early (and clearly) if async is not wired in this build.
  const before = await completed('step');
  const r = await n.api('POST', api.submitPath('step'), { probe: true }, { prefer: 'respond-async' });
  if (r.status !== 202) throw new Error(`an async submit answered ${r.status}, not 202: ${r.body.slice(0, 200)}`);
  const deadline = performance.now() + 30000;
  while ((await completed('step')) <= before) {
    if (performance.now() > deadline) throw new Error('an accepted async invocation had not run after 30 s');
    await new Promise((res) => setTimeout(res, 20));
  }
  return api;
}
