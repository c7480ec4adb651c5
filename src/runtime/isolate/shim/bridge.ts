/**
 * The only doors to the host. The host puts them on the global object just before the
 * shim runs; we capture them in this module's closure and delete the globals, so user
 * code can never reach them. They are only ever called directly (never via .call/.apply,
 * which user code could patch).
 */
import { SAB_CURRENT } from '../protocol.ts';

type Send = (kind: number, ...args: unknown[]) => void;
type Random = (n: number) => ArrayBuffer;
type Decode = (encoding: string, bytes: ArrayBuffer, fatal: boolean) => string | null | undefined;

const g = globalThis as unknown as Record<string, unknown>;
const hostSend = g.__nb_send as Send;
const hostRandom = g.__nb_random as Random;
const hostDecode = g.__nb_decode as Decode;
const current = new Int32Array(g.__nb_sab as SharedArrayBuffer);
/** The function's memory limit, in bytes (wasm memories count toward it). */
export const memoryLimitBytes = Number(g.__nb_memory_mb) * 1024 * 1024;
delete g.__nb_memory_mb;
delete g.__nb_send;
delete g.__nb_random;
delete g.__nb_decode;
delete g.__nb_sab;

export const send: Send = hostSend;

/**
 * Bytes in a multi-byte legacy encoding decoded by the host's TextDecoder: the text, null
 * for invalid bytes under `fatal`, undefined when the host refused the call.
 */
export function decodeOnHost(encoding: string, bytes: ArrayBuffer, fatal: boolean): string | null | undefined {
  return hostDecode(encoding, bytes, fatal);
}

/** Tells the host's CPU watchdog whose code runs now. */
export function markCurrent(seq: number): void {
  current[SAB_CURRENT] = seq;
}

let pool = new Uint8Array(0);
let offset = 0;
/** Cryptographically strong bytes from the host, fetched 4 KB at a time. */
export function randomInto(target: Uint8Array): void {
  let written = 0;
  while (written < target.length) {
    if (offset >= pool.length) {
      pool = new Uint8Array(hostRandom(4096));
      offset = 0;
    }
    const n = Math.min(target.length - written, pool.length - offset);
    target.set(pool.subarray(offset, offset + n), written);
    // never hand out the same bytes twice
    pool.fill(0, offset, offset + n);
    offset += n;
    written += n;
  }
}
