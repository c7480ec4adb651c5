/**
 * Makes an isolate ready for a function: new Isolate (memory limit), a context, the
 * bridge callbacks, and the shim run (and, for spares of kind `node`, the shared Node layer
 * run, bound to no function). Everything here is independent of the function,
 * so spares.ts can do it ahead of time, off the cold-start path.
 */
import ivm from 'isolated-vm';
import { randomFillSync } from 'node:crypto';
import { legacyDecode } from './legacy-decode.ts';
import { IN_CANARY, IN_WARM, SAB_LENGTH } from './protocol.ts';
import { SHIM_FILENAME, shimCode } from './shim-source.ts';
import { LAYER_FILENAME, sharedLayer, type LayerKind } from '../../deploy/node-layer-shared.ts';
import type { LayerBind } from './node-env.ts';

export type MessageHandler = (kind: number, a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown, g: unknown) => void;

/** Where an isolate's messages go; the instance that adopts the isolate fills it in. */
export interface Port {
  onMessage: MessageHandler | null;
  onCatastrophic: ((message: string) => void) | null;
}

export interface Prepared {
  readonly isolate: ivm.Isolate;
  readonly context: ivm.Context;
  /** The shim's recv function. */
  readonly recv: ivm.Reference<(...args: unknown[]) => unknown>;
  /** Shared with the shim: SAB_CURRENT holds the seq of the invocation running now. */
  readonly current: Int32Array;
  readonly memoryMb: number;
  /** The shared Node layer, evaluated (spares of kind `node`): its hash and `bind`. */
  readonly layer: { readonly hash: string; readonly bind: LayerBind } | null;
  readonly port: Port;
  /** Settles once the isolate is gone (disposed by us, or by V8 at its memory limit). */
  readonly gone: Promise<void>;
}

const MAX_RANDOM = 65536;
let shimCache: ivm.ExternalCopy<ArrayBuffer> | undefined;
/** The shared layers' code caches, by hash. */
const layerCaches = new Map<string, ivm.ExternalCopy<ArrayBuffer>>();

/*
 * isolated-vm runs a callback from an isolate on the main thread outside any Node
 * callback scope, and drains Node's microtasks there too. Node natives that call back into
 * JS from such a spot (e.g. reading a Blob) abort the process on an async-id assertion,
 * and process.nextTick work would wait. So callbacks only enqueue; one setImmediate per
 * batch delivers the messages, in order, from a proper Node callback scope. (setImmediate
 * here is about escaping ivm's context, not about time: the Clock is not involved.)
 */
type Queued = [Port, number, unknown, unknown, unknown, unknown, unknown, unknown, unknown];
let queue: Queued[] = [];
let flushing = false;

let waiters: Array<() => void> = [];

/** Resolves once every message already received from any isolate has been handled. */
export function delivered(): Promise<void> {
  if (!flushing) return Promise.resolve();
  return new Promise((resolve) => waiters.push(resolve));
}

function flush(): void {
  flushing = false;
  const batch = queue;
  queue = [];
  const done = waiters;
  waiters = [];
  queueMicrotask(() => {
    for (const resolve of done) resolve();
  });
  for (const [port, kind, a, b, c, d, e, f, g] of batch) {
    try {
      port.onMessage?.(kind, a, b, c, d, e, f, g);
    } catch (error) {
      // a handler bug must not drop the rest of the batch
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}

function enqueue(item: Queued): void {
  queue.push(item);
  if (!flushing) {
    flushing = true;
    setImmediate(flush);
  }
}

export function isolateMemoryMb(memoryMb: number): number {
  return Math.max(8, Math.ceil(memoryMb));
}

/** What kind of spare: `node` and `node-async` also hold that shared Node layer, evaluated, bound to no function yet. */
export type SpareKind = 'plain' | LayerKind;

/**
 * Awaited between the steps of making an isolate (each a millisecond or two of work), so that
 * making a spare can give way to starts that need the cores now (spares.ts).
 */
export type Between = () => Promise<void>;
const proceed: Between = () => Promise.resolve();

/**
 * `warm`: also run the shim's dispatch paths once (V8 compiles lazily), which is worth it
 * for spares made ahead of time and would only move the cost for an inline start.
 */
export async function prepare(memoryMb: number, warm = false, kind: SpareKind = 'plain', between: Between = proceed): Promise<Prepared> {
  const code = await shimCode();
  const layerSource = kind === 'plain' ? null : await sharedLayer(kind);
  const port: Port = { onMessage: null, onCatastrophic: null };
  const isolate = new ivm.Isolate({
    memoryLimit: isolateMemoryMb(memoryMb),
    onCatastrophicError: (message) => setImmediate(() => port.onCatastrophic?.(message)),
  });
  try {
    await between();
    const context = await isolate.createContext();
    const sab = new SharedArrayBuffer(SAB_LENGTH * 4);
    const global = context.global;
    global.setSync(
      '__nb_send',
      new ivm.Callback(
        (kind: number, a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown, g: unknown) =>
          enqueue([port, kind, a, b, c, d, e, f, g]),
        { ignored: true },
      ),
    );
    global.setSync(
      '__nb_random',
      new ivm.Callback((n: unknown) => {
        const size = Math.max(0, Math.min(MAX_RANDOM, Math.floor(Number(n)) || 0));
        return randomFillSync(new Uint8Array(size)).buffer;
      }),
    );
    // TextDecoder's multi-byte legacy encodings; a malformed call is refused with a plain message
    global.setSync(
      '__nb_decode',
      new ivm.Callback((encoding: unknown, bytes: unknown, fatal: unknown) => {
        try {
          return legacyDecode(encoding, bytes, fatal);
        } catch {
          return undefined;
        }
      }),
    );
    global.setSync('__nb_sab', new ivm.ExternalCopy(sab).copyInto());
    global.setSync('__nb_memory_mb', memoryMb);
    global.release();
    await between();
    const script = await isolate.compileScript(code, {
      filename: SHIM_FILENAME,
      ...(shimCache ? { cachedData: shimCache } : { produceCachedData: true }),
    });
    const produced = (script as typeof script & { cachedData?: ivm.ExternalCopy<ArrayBuffer> }).cachedData;
    if (shimCache === undefined && produced) shimCache = produced;
    const recv = (await script.run(context, { reference: true })) as ivm.Reference<(...args: unknown[]) => unknown>;
    script.release();
    if (warm) {
      await between();
      await recv.apply(undefined, [IN_WARM], { result: { promise: true } });
    }
    // A promise the shim holds and never settles: ivm rejects it only when the isolate is
    // disposed (by us, or by V8 at the memory limit). It must be held inside the isolate,
    // or a GC collects it and ivm reports it abandoned while the isolate lives on.
    const gone = recv.apply(undefined, [IN_CANARY], { result: { promise: true } }).then(
      () => undefined,
      () => undefined,
    );
    const layer = layerSource === null ? null : { hash: layerSource.hash, bind: await runLayer(isolate, context, layerSource.code, layerSource.hash, between) };
    return { isolate, context, recv, current: new Int32Array(sab), memoryMb, layer, port, gone };
  } catch (error) {
    if (!isolate.isDisposed) isolate.dispose();
    throw error;
  }
}

/**
 * A plain prepared isolate made one of a layer kind: the layer compiled and run on it, as a spare of
 * that kind has it. For a start that finds no spare of its kind: cheaper than a whole new isolate.
 */
export async function withLayer(p: Prepared, kind: LayerKind): Promise<Prepared> {
  if (p.layer !== null) throw new Error('this isolate holds a Node layer already');
  try {
    const { code, hash } = await sharedLayer(kind);
    return { ...p, layer: { hash, bind: await runLayer(p.isolate, p.context, code, hash) } };
  } catch (error) {
    discard(p);
    throw error;
  }
}

/** Compiles the shared layer (from its code cache after the first time) and runs its top level. */
async function runLayer(isolate: ivm.Isolate, context: ivm.Context, code: string, hash: string, between: Between = proceed): Promise<LayerBind> {
  await between();
  const cached = layerCaches.get(hash);
  const script = await isolate.compileScript(code, { filename: LAYER_FILENAME, ...(cached ? { cachedData: cached } : { produceCachedData: true }) });
  const produced = (script as typeof script & { cachedData?: ivm.ExternalCopy<ArrayBuffer> }).cachedData;
  if (cached === undefined && produced) layerCaches.set(hash, produced);
  try {
    await between();
    return (await script.run(context, { reference: true })) as LayerBind;
  } finally {
    script.release();
  }
}

/**
 * A full garbage collection in a prepared isolate, which sheds what making it left behind (the
 * shim's warm-up, compiling, the layer's top level) and gives back the heap pages that held it.
 * isolated-vm has no call for it, but its ArrayBuffer allocator asks V8 for all the garbage it
 * can collect (LowMemoryNotification) before it refuses a buffer larger than the isolate's
 * memory limit; the refusal is a RangeError, caught in the isolate.
 * The warm-up is not run again after it: the pages it gives back cost the first request a little
 * to take again, and a second run would leave its own garbage in every idle instance.
 */
export async function compact(p: Prepared): Promise<void> {
  const bytes = (isolateMemoryMb(p.memoryMb) + 1) * 1024 * 1024;
  await p.context.eval(`(() => { try { new ArrayBuffer(${bytes}); } catch {} })()`);
}

export function discard(p: Prepared): void {
  p.port.onMessage = null;
  p.port.onCatastrophic = null;
  if (!p.isolate.isDisposed) p.isolate.dispose();
}
