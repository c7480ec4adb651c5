/**
 * Test scaffolding for the async system: an in-memory SQLite store with deployed
 * functions, a FakeClock, and a scripted invoke() standing in for the dispatcher.
 */
import { FakeClock } from '../../core/clock.ts';
import { NimbusError, type ErrorCode } from '../../core/errors.ts';
import type { InvocationRecord } from '../../core/types.ts';
import { deployInput, sampleRecord, SAMPLE_CONFIG } from '../../store/contract.ts';
import type { Store } from '../../store/ports.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import { Catalog } from '../catalog.ts';
import type { InvokeOutcome, InvokeRequest } from '../dispatcher.ts';
import type { WebhookRequest } from './consumer.ts';
import { AsyncSystem, type AsyncSystemDeps } from './system.ts';

export interface Call {
  readonly at: number;
  readonly req: InvokeRequest;
}

export type Script = (req: InvokeRequest, n: number) => Promise<InvokeOutcome> | InvokeOutcome;

/** The record the dispatcher would have made for this attempt. */
export function attemptRecord(req: InvokeRequest, overrides: Partial<InvocationRecord> = {}): InvocationRecord {
  return sampleRecord(req.invocationId!, { functionName: req.functionName, trigger: req.trigger, attempt: req.attempt ?? 1, ...overrides });
}

export function ok(req: InvokeRequest, value: unknown = { done: true }): InvokeOutcome {
  return { ok: true, invocationId: req.invocationId!, record: attemptRecord(req), value };
}

export function fail(req: InvokeRequest, code: ErrorCode = 'NIMBUS_ERR_FUNCTION_ERROR', retryAfterSeconds?: number): InvokeOutcome {
  return {
    ok: false,
    invocationId: req.invocationId!,
    record: attemptRecord(req, { status: 'error', errorCode: code }),
    error: new NimbusError(code, 'it failed', { extra: { errorName: 'Error', errorMessage: 'boom' }, retryAfterSeconds }),
  };
}

export interface Harness {
  readonly clock: FakeClock;
  readonly store: Store;
  readonly system: AsyncSystem;
  readonly calls: Call[];
  readonly webhooks: Array<{ at: number; request: WebhookRequest }>;
  script: Script;
  webhookStatus: number;
  /** Invocations of other triggers in flight (the pool adds the consumer's own). */
  others: number;
  /** Advances the fake clock in steps, letting promises settle between them. */
  step(ms: number, stepMs?: number): Promise<void>;
  settle(): Promise<void>;
  close(): Promise<void>;
}

export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

export async function harness(
  functions: Array<{ name: string; maxInstances?: number; concurrency?: number }> = [{ name: 'fn' }],
  options: Partial<AsyncSystemDeps> & { store?: Store; clock?: FakeClock } = {},
): Promise<Harness> {
  const clock = options.clock ?? new FakeClock(1_700_000_000_000);
  const store = options.store ?? openSqliteStore(':memory:');
  for (const f of functions) {
    if (await store.functions.get(f.name)) continue;
    const config = { ...SAMPLE_CONFIG, timeoutMs: 5_000, maxInstances: f.maxInstances ?? 10, concurrency: f.concurrency ?? 8 };
    await store.functions.deploy(deployInput(f.name, `code of ${f.name}`, clock.now(), config));
  }
  const calls: Call[] = [];
  const webhooks: Array<{ at: number; request: WebhookRequest }> = [];
  let n = 0;
  let pending = 0;
  const h: Harness = {
    clock,
    store,
    calls,
    webhooks,
    script: (req) => ok(req),
    webhookStatus: 200,
    others: 0,
    system: null as unknown as AsyncSystem,
    async step(ms, stepMs = 50) {
      clock.advance(0);
      await settle();
      for (let t = 0; t < ms; t += stepMs) {
        clock.advance(Math.min(stepMs, ms - t));
        await settle();
      }
    },
    settle,
    async close() {
      await h.system.stop(0);
      await store.close();
    },
  };
  (h as { system: AsyncSystem }).system = new AsyncSystem({
    clock,
    store,
    catalog: new Catalog(store.functions),
    invoke: async (req) => {
      calls.push({ at: clock.now(), req });
      pending++;
      try {
        return await h.script(req, ++n);
      } finally {
        pending--;
      }
    },
    // Like the pool: what other triggers run plus what the consumer itself started.
    inFlight: () => h.others + pending,
    webhook: async (request) => {
      webhooks.push({ at: clock.now(), request });
      return h.webhookStatus;
    },
    random: () => 0.5,
    onError: (e, what) => {
      throw Object.assign(new Error(`${what}: ${(e as Error).message}`), { cause: e });
    },
    ...options,
  });
  await h.system.start();
  await settle();
  return h;
}
