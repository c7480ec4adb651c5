/**
 * The isolate runtime: every instance is its own V8 isolate (isolated-vm) inside the
 * platform process. Needs `node --no-node-snapshot`.
 *
 *   const runtime = createIsolateRuntime({ clock: systemClock });
 *   const instance = await runtime.start(spec);
 *   const result = await instance.invoke({ mode: 'fetch', request, meta });
 */
import type ivm from 'isolated-vm';
import type { Clock, TimerHandle } from '../../core/clock.ts';
import { NimbusError } from '../../core/errors.ts';
import type { FunctionConfig, ModuleExports } from '../../core/types.ts';
import type { Instance, InstanceSpec, Runtime } from '../port.ts';
import { createCodeCache } from './code-cache.ts';
import { IsolateInstance, type InstanceContext } from './instance.ts';
import { discard, prepare, withLayer, type SpareKind } from './prepare.ts';
import { shimCode } from './shim-source.ts';
import { SparePool } from './spares.ts';
import { LAYER_CONTRACT, sharedLayerOf } from './node-env.ts';
import { otherThreadsCpu, type OtherThreadsCpu } from './cpu-budget.ts';
import { Watchdog } from './watchdog.ts';
import { memoryReducerOffForNewIsolates } from './memory-reducer.ts';
import { Deadlines } from '../../core/deadlines.ts';

export interface IsolateRuntimeOptions {
  readonly clock: Clock;
  /** Prepared isolates (context + shim) kept ready per memory size and kind, with no burst of starts seen, and the fewest kept. Default 2; 0 disables. */
  readonly spares?: number;
  /** The most spares kept per memory size and kind when bursts of starts, or instances gone that may come back, ask for more (spare-demand.ts). Default 4; at most `spares` disables following demand. */
  readonly sparesMax?: number;
  /** Starts asking for a spare of one pair within this long count as one burst, in ms. Default 500. */
  readonly spareBurstWindowMs?: number;
  /** A burst's count keeps spares ready at half its weight after this long, in ms. Default 300000. */
  readonly spareDemandHalfLifeMs?: number;
  /** Memory sizes (MB) to prepare spares for right away. Default [128]. */
  readonly prewarmMemoryMb?: readonly number[];
  /** Distinct (memory size, spare kind) pairs that keep spares (most recently used win). Default 8: plain and the six layer kinds of one size, and one more. */
  readonly spareSizes?: number;
  /** Time after a start asked for a spare before spares are made again, in ms. Default 5. */
  readonly spareRefillDelayMs?: number;
  /** The longest a spare being made waits, between two of its steps, for starts under way, in ms. Default 20. */
  readonly spareYieldBoundMs?: number;
  /** Quiet time (no start beginning, ending or asking for a spare) before ready spares are compacted (a full GC each), in ms. Default 1000; Infinity: never. */
  readonly spareCompactAfterMs?: number;
  /** How often the CPU watchdog samples busy isolates, in ms. Default 10. */
  readonly cpuSampleMs?: number;
  /**
   * The CPU the isolate threads really used, which bounds what the watchdog charges
   * (cpu-budget.ts). Default: the process's threads other than the main one; null: the
   * isolates' own readings as they are (wall-clock while executing).
   */
  readonly cpuBudget?: OtherThreadsCpu | null;
  /** Limit for running a module's top level, in ms. Default 10 000. */
  readonly initTimeoutMs?: number;
  /** Largest request body, response body or handler result (as JSON), in bytes. Default 6 MB. */
  readonly maxPayloadBytes?: number;
  /** Timers one instance may have pending. Default 10 000. */
  readonly maxTimers?: number;
  /** CryptoKeys one instance may hold at once (freed when the isolate lets them go). Default 1 000. */
  readonly maxCryptoKeys?: number;
  /** Bytes the CryptoKeys of one instance may hold together (crypto-host.ts keyBytes). Default 1 MiB. */
  readonly maxCryptoKeyBytes?: number;
  /** Bundles whose V8 code cache is kept in memory. Default 128. */
  readonly codeCacheEntries?: number;
  /**
   * Log functions' unhandled promise rejections (docs/runtime.md, "Errors"). Each entry into
   * an isolate then goes in with isolated-vm's apply, whose promise reports them, instead of
   * applyIgnored, which costs the platform's thread some work per entry. Default true.
   */
  readonly reportRejections?: boolean;
  /** Where the runtime reports its own trouble. Default: console.error. */
  readonly onError?: (message: string, error?: unknown) => void;
}

export const DEFAULTS = {
  spares: 2,
  sparesMax: 4,
  spareBurstWindowMs: 500,
  spareDemandHalfLifeMs: 300_000,
  prewarmMemoryMb: [128] as readonly number[],
  spareSizes: 8,
  spareRefillDelayMs: 5,
  spareYieldBoundMs: 20,
  spareCompactAfterMs: 1000,
  cpuSampleMs: 10,
  initTimeoutMs: 10_000,
  maxPayloadBytes: 6 * 1024 * 1024,
  maxTimers: 10_000,
  maxCryptoKeys: 1_000,
  maxCryptoKeyBytes: 1024 * 1024,
  codeCacheEntries: 128,
} as const;

export function createIsolateRuntime(options: IsolateRuntimeOptions): Runtime & {
  /** Spares ready for a memory size (for tests and metrics). */
  sparesReady(memoryMb: number, kind?: SpareKind): number;
  /** Spares kept ready now for a memory size and kind: the base, or more after bursts of starts or instances gone. */
  sparesWanted(memoryMb: number, kind?: SpareKind): number;
  /** Spares starts have taken so far. */
  sparesTaken(): number;
  /** Of the spares ready for a memory size, those compacted since they were made. */
  sparesCompacted(memoryMb: number, kind?: SpareKind): number;
  /** Live instances this runtime started. */
  liveInstances(): number;
} {
  memoryReducerOffForNewIsolates();
  const clock = options.clock;
  const onError = options.onError ?? ((message: string, error?: unknown) => console.error(`[nimbus isolate] ${message}`, error ?? ''));
  const live = new Set<IsolateInstance>();
  /** The spare pair each instance of a real start (not a deploy's check) was started as: when it goes, its function may come back. */
  const pairOf = new WeakMap<IsolateInstance, readonly [number, SpareKind, string]>();
  const settling = new Set<Promise<void>>();
  const watchdog = new Watchdog(clock, options.cpuSampleMs ?? DEFAULTS.cpuSampleMs, options.cpuBudget === undefined ? otherThreadsCpu() : options.cpuBudget);
  const deadlines = new Deadlines(clock, (error) => onError('an invocation deadline handler threw', error));
  const cx: InstanceContext = {
    clock,
    watchdog,
    deadlines,
    maxPayloadBytes: options.maxPayloadBytes ?? DEFAULTS.maxPayloadBytes,
    maxTimers: options.maxTimers ?? DEFAULTS.maxTimers,
    maxCryptoKeys: options.maxCryptoKeys ?? DEFAULTS.maxCryptoKeys,
    maxCryptoKeyBytes: options.maxCryptoKeyBytes ?? DEFAULTS.maxCryptoKeyBytes,
    initTimeoutMs: options.initTimeoutMs ?? DEFAULTS.initTimeoutMs,
    reportRejections: options.reportRejections ?? true,
    codeCache: createCodeCache(options.codeCacheEntries ?? DEFAULTS.codeCacheEntries),
    onError,
    onGone: (instance) => {
      live.delete(instance);
      const pair = pairOf.get(instance);
      if (pair !== undefined && !closed) spares.gone(pair[0], pair[1], pair[2]);
      // close() waits for these too: an instance disposed just before it may not be settled yet
      const settled = instance.settled();
      settling.add(settled);
      void settled.finally(() => settling.delete(settled));
    },
  };
  const spares = new SparePool({
    clock,
    perSize: options.spares ?? DEFAULTS.spares,
    maxPerSize: options.sparesMax ?? DEFAULTS.sparesMax,
    burstWindowMs: options.spareBurstWindowMs ?? DEFAULTS.spareBurstWindowMs,
    demandHalfLifeMs: options.spareDemandHalfLifeMs ?? DEFAULTS.spareDemandHalfLifeMs,
    prewarmMb: options.prewarmMemoryMb ?? DEFAULTS.prewarmMemoryMb,
    maxSizes: options.spareSizes ?? DEFAULTS.spareSizes,
    refillDelayMs: options.spareRefillDelayMs ?? DEFAULTS.spareRefillDelayMs,
    yieldBoundMs: options.spareYieldBoundMs ?? DEFAULTS.spareYieldBoundMs,
    compactAfterMs: options.spareCompactAfterMs ?? DEFAULTS.spareCompactAfterMs,
    busy: () => watchdog.watching > 0,
    onError: (error) => onError('could not prepare a spare isolate', error),
  });
  // start bundling the shim now, so the first start does not pay for it
  shimCode().catch((error: unknown) => onError('could not bundle the isolate shim', error));
  let closed = false;

  /**
   * `useSpare: false` leaves the spares to the requests that wait for a cold start. A start (a
   * deploy's check too) is under way, for the spares being made or compacted, until its instance
   * is up or it failed.
   */
  async function start(spec: InstanceSpec, useSpare = true): Promise<IsolateInstance> {
    const ended = spares.startBegan();
    try {
      return await startOn(spec, useSpare);
    } finally {
      ended();
    }
  }

  async function startOn(spec: InstanceSpec, useSpare: boolean): Promise<IsolateInstance> {
    if (closed) throw new NimbusError('NIMBUS_ERR_SHUTTING_DOWN', 'the isolate runtime is closed');
    const startedAt = clock.monotonic();
    const layer = sharedLayerOf(spec.code);
    const kind = layer === null ? 'plain' : layer.kind;
    if (layer !== null) {
      if (layer.contract !== LAYER_CONTRACT) {
        throw new NimbusError('NIMBUS_ERR_FUNCTION_INIT', `this version was bundled against version ${layer.contract} of the shared Node layer; this platform has version ${LAYER_CONTRACT}: deploy it again`);
      }
      if (!useSpare) spares.want(spec.config.memoryMb, kind);
    }
    let prepared = useSpare ? await spares.takeSoon(spec.config.memoryMb, kind, spec.functionName) : undefined;
    if (prepared === undefined && useSpare && kind !== 'plain') {
      // none of its kind ready (a burst of starts took them): a plain spare with the layer run on it
      // now costs the start less than a new isolate with the layer would
      const plain = spares.take(spec.config.memoryMb, 'plain');
      if (plain !== undefined) {
        try {
          prepared = await withLayer(plain, kind);
        } catch (error) {
          throw new NimbusError('NIMBUS_ERR_INTERNAL', `could not load the Node layer into an isolate: ${(error as Error)?.message ?? error}`, { cause: error });
        }
      }
    }
    if (prepared === undefined) {
      // the wait for a spare may have outlasted the runtime
      if (closed) throw new NimbusError('NIMBUS_ERR_SHUTTING_DOWN', 'the isolate runtime is closed');
      try {
        prepared = await prepare(spec.config.memoryMb, false, kind);
      } catch (error) {
        throw new NimbusError('NIMBUS_ERR_INTERNAL', `could not create an isolate: ${(error as Error)?.message ?? error}`, { cause: error });
      }
    }
    if (closed) {
      discard(prepared);
      throw new NimbusError('NIMBUS_ERR_SHUTTING_DOWN', 'the isolate runtime is closed');
    }
    const instance = new IsolateInstance(prepared, spec, cx);
    live.add(instance);
    try {
      await instance.init(startedAt);
    } catch (error) {
      instance.dispose();
      throw error;
    }
    if (useSpare) pairOf.set(instance, [spec.config.memoryMb, kind, spec.functionName]);
    return instance;
  }

  return {
    kind: 'isolate',
    start: (spec) => start(spec) as Promise<Instance>,
    async inspect(code: string, config: FunctionConfig, functionName = 'inspect'): Promise<ModuleExports> {
      // A deploy's check builds its own isolate: taking a spare would leave the first
      // request after the deploy (the one a user waits for) to build one instead.
      const instance = await start({
        instanceId: 'inspect',
        // the real name: the code cache this check produces serves the function's instances
        functionName,
        version: 0,
        code,
        config,
        onLog: () => undefined,
        fetch: () => Promise.reject(new NimbusError('NIMBUS_ERR_UPSTREAM', 'no outbound requests while inspecting')),
      }, false);
      const exports = instance.exports;
      instance.dispose();
      return exports;
    },
    async close() {
      closed = true;
      watchdog.close();
      const instances = [...live];
      for (const instance of instances) instance.dispose();
      deadlines.close();
      // wait (boundedly) until isolated-vm has settled what was pending on those isolates
      let bound: TimerHandle | undefined;
      await Promise.race([
        Promise.all([spares.close(), ...instances.map((i) => i.settled()), ...settling]),
        new Promise<void>((resolve) => {
          bound = clock.setTimer(1_000, resolve);
        }),
      ]);
      bound?.cancel();
    },
    sparesReady: (memoryMb, kind) => spares.ready(memoryMb, kind),
    sparesWanted: (memoryMb, kind) => spares.wanted(memoryMb, kind),
    sparesTaken: () => spares.taken,
    sparesCompacted: (memoryMb, kind) => spares.compacted(memoryMb, kind),
    liveInstances: () => live.size,
  };
}
