/**
 * Makes an isolate ready for a function: new Isolate (memory limit), a context, the
 * bridge callbacks, and the shim run. Everything here is independent of the function,
 * so spares.ts can do it ahead of time, off the cold-start path.
 */
import ivm from 'isolated-vm';
import { randomFillSync } from 'node:crypto';
import { SAB_LENGTH } from './protocol.ts';
import { SHIM_FILENAME, shimCode } from './shim-source.ts';

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
  readonly port: Port;
  /** Settles once the isolate is gone (disposed by us, or by V8 at its memory limit). */
  readonly gone: Promise<void>;
}

const MAX_RANDOM = 65536;
let shimCache: ivm.ExternalCopy<ArrayBuffer> | undefined;

export function isolateMemoryMb(memoryMb: number): number {
  return Math.max(8, Math.ceil(memoryMb));
}

export async function prepare(memoryMb: number): Promise<Prepared> {
  const code = await shimCode();
  const port: Port = { onMessage: null, onCatastrophic: null };
  const isolate = new ivm.Isolate({
    memoryLimit: isolateMemoryMb(memoryMb),
    onCatastrophicError: (message) => port.onCatastrophic?.(message),
  });
  try {
    const context = await isolate.createContext();
    const sab = new SharedArrayBuffer(SAB_LENGTH * 4);
    const global = context.global;
    global.setSync(
      '__nb_send',
      new ivm.Callback(
        (kind: number, a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown, g: unknown) =>
          port.onMessage?.(kind, a, b, c, d, e, f, g),
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
    global.setSync('__nb_sab', new ivm.ExternalCopy(sab).copyInto());
    global.release();
    const script = await isolate.compileScript(code, {
      filename: SHIM_FILENAME,
      ...(shimCache ? { cachedData: shimCache } : { produceCachedData: true }),
    });
    const produced = (script as typeof script & { cachedData?: ivm.ExternalCopy<ArrayBuffer> }).cachedData;
    if (shimCache === undefined && produced) shimCache = produced;
    const recv = (await script.run(context, { reference: true })) as ivm.Reference<(...args: unknown[]) => unknown>;
    script.release();
    const gone = context.eval('new Promise(() => {})', { promise: true }).then(
      () => undefined,
      () => undefined,
    );
    return { isolate, context, recv, current: new Int32Array(sab), memoryMb, port, gone };
  } catch (error) {
    if (!isolate.isDisposed) isolate.dispose();
    throw error;
  }
}

export function discard(p: Prepared): void {
  p.port.onMessage = null;
  p.port.onCatastrophic = null;
  if (!p.isolate.isDisposed) p.isolate.dispose();
}
