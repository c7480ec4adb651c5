/** Starting the usual peers for a scenario, and the checks before measuring them. */
import { request } from '../lib/http.ts';
import type { Recorder, TargetInfo } from '../lib/results.ts';
import type { Settings } from '../lib/scenario.ts';
import { nimbusMissing, startNimbus, type FunctionSettings, type NimbusOptions, type NimbusTarget } from '../targets/nimbus.ts';
import { NIMBUS } from '../targets/types.ts';
import type { HttpTarget } from '../targets/types.ts';

/** The function configuration every Nimbus scenario deploys with unless it says otherwise. */
export const BENCH_CONFIG: Required<FunctionSettings> = {
  memoryMb: 128,
  timeoutMs: 10000,
  concurrency: 16,
  targetConcurrency: 10,
  minInstances: 0,
  maxInstances: 50,
  idleTimeoutMs: 60000,
};

/** Runs `fn`; on failure records the target as not measured (with the reason) and returns null. */
export async function attempt<T>(s: Settings, rec: Recorder, target: TargetInfo, what: string, fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (e) {
    const why = (e as Error).message.split('\n')[0];
    s.log(`  ${target.id}: not measured (${what}): ${why}`);
    rec.skip(target.id, what, why);
    return null;
  }
}

/** Starts Nimbus and deploys `functions`, or records why it could not. */
export async function nimbusWith(
  s: Settings,
  rec: Recorder,
  what: string,
  functions: Record<string, string>,
  config: FunctionSettings = BENCH_CONFIG,
  opts: NimbusOptions = {},
): Promise<NimbusTarget | null> {
  const missing = nimbusMissing();
  if (missing) {
    rec.skip(NIMBUS.id, what, missing);
    s.log(`  nimbus: not measured: ${missing}`);
    return null;
  }
  let started: NimbusTarget | null = null;
  return attempt(s, rec, NIMBUS, what, async () => {
    started = await startNimbus(opts);
    try {
      for (const [name, source] of Object.entries(functions)) await started.deploy(name, source, config);
    } catch (e) {
      await started.stop();
      throw e;
    }
    return started;
  });
}

/**
 * Sends the same request to every target and checks each answers 2xx with the same body
 * as the first. A target that does not is stopped, dropped and recorded as not measured.
 */
export async function sameAnswers(
  s: Settings,
  rec: Recorder,
  what: string,
  targets: HttpTarget[],
  req: { name: string; method?: 'GET' | 'POST'; body?: string },
): Promise<HttpTarget[]> {
  const ok: HttpTarget[] = [];
  let expected: string | null = null;
  for (const t of targets) {
    const r = await request(t.baseUrl + t.fnPath(req.name), {
      method: req.method ?? 'GET',
      ...(req.body !== undefined ? { body: req.body, headers: { 'content-type': 'application/json' } } : {}),
    }).catch((e: Error) => ({ status: 0, body: e.message }));
    const bad =
      r.status < 200 || r.status >= 300
        ? `answered HTTP ${r.status}: ${r.body.slice(0, 200)}`
        : expected !== null && r.body !== expected
          ? `answered a different body (${r.body.length} bytes, expected ${expected.length}): ${r.body.slice(0, 80)}`
          : null;
    if (bad) {
      s.log(`  ${t.info.id}: not measured (${what}): ${bad}`);
      rec.skip(t.info.id, what, bad);
      await t.stop();
      continue;
    }
    expected ??= r.body;
    ok.push(t);
  }
  return ok;
}

export async function stopAll(targets: ReadonlyArray<{ stop(): Promise<void> } | null>): Promise<void> {
  for (const t of targets) if (t) await t.stop().catch(() => undefined);
}

/** `k` Nimbus nodes started with `args` (a shared --store, a --bus): the first makes the token and key, the others get copies. */
export async function startNodes(k: number, args: readonly string[]): Promise<NimbusTarget[]> {
  const first = await startNimbus({ extraArgs: args });
  const nodes = [first];
  try {
    for (let i = 1; i < k; i++) nodes.push(await startNimbus({ extraArgs: args, seedFrom: first.dataDir }));
  } catch (e) {
    await stopAll(nodes);
    throw e;
  }
  return nodes;
}
