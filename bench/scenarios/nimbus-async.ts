/**
 * How the async scenario drives Nimbus: a submit route answered 202, and a count of
 * completed async invocations of a function. Discovered from GET /api/v1/openapi.json;
 * until both exist this throws and the scenario reports Nimbus as not measured.
 */
import type { NimbusTarget } from '../targets/nimbus.ts';

export interface NimbusAsyncApi {
  /** Path (with the gateway as base) of the POST that queues one invocation. */
  submitPath(fn: string): string;
  readonly headers: Record<string, string>;
  /** How many async invocations of `fn` have finished (any outcome) so far. */
  completed(fn: string): Promise<number>;
}

export async function nimbusAsync(n: NimbusTarget): Promise<NimbusAsyncApi> {
  const routes = await n.routes();
  const submit = routes.find((r) => /async/i.test(r) && r.includes('{name}'));
  if (!submit) throw new Error('Nimbus serves no async submit route yet (none with "async" in GET /api/v1/openapi.json)');
  throw new Error(`Nimbus has an async route (${submit}) but no way for the bench to count completed async invocations yet`);
}
