/**
 * The shim's ends of the streams between the isolate and the host (see protocol.ts).
 * toHost sends a ReadableStream's chunks to the host, one message per chunk and only
 * against the credit the host gave (IN_PULL), so a fast producer waits on a slow reader;
 * fromHost is a ReadableStream whose every pull asks the host for one chunk.
 */
import { OUT_CHUNK, OUT_RCANCEL, OUT_READ } from '../protocol.ts';
import { send } from './bridge.ts';
import { exactBuffer, utf8Encode } from './encoding.ts';
import { DOMException } from './events.ts';
import { enter, type Invocation } from './state.ts';
import { ReadableStream, type ReadableStreamDefaultController, type ReadableStreamDefaultReader } from './streams.ts';

/** Largest piece one message carries: bigger chunks are cut, so bytes in flight stay bounded too. */
const PIECE = 64 * 1024;

/** How an outgoing stream ended: error is "name\nmessage" when it failed; cancelled when the host stopped it. */
export type OnEnd = (error: string | null, cancelled: boolean, id: number) => void;

interface Outgoing {
  readonly id: number;
  readonly inv: Invocation;
  readonly reader: ReadableStreamDefaultReader;
  readonly onEnd: OnEnd;
  readonly onCancel: () => void;
  credit: number;
  /** What is left of a chunk cut into pieces. */
  rest: Uint8Array | null;
  running: boolean;
  over: boolean;
}

const outgoing = new Map<number, Outgoing>();
let nextId = 1;

/** The bytes of a body chunk, or null when it is not bytes (what fetch bodies may be made of: bytes, and strings as UTF-8). */
export function chunkBytes(value: unknown): Uint8Array | null {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'string') return utf8Encode(value);
  return null;
}

function describe(e: unknown): string {
  try {
    if (typeof e === 'object' && e !== null) {
      const err = e as { name?: unknown; message?: unknown };
      return `${typeof err.name === 'string' ? err.name : 'Error'}\n${String(err.message ?? '')}`;
    }
    return `Error\n${String(e)}`;
  } catch {
    return 'Error\nan error that could not be described';
  }
}

/**
 * Locks `stream` and numbers it; chunks go to the host as it grants credit. `onCancel` runs
 * first when the host cancels it, before the stream's own cancel.
 */
export function toHost(stream: ReadableStream, inv: Invocation, onEnd: OnEnd, onCancel: () => void = () => undefined): number {
  const id = nextId;
  nextId = id >= 2 ** 31 - 1 ? 1 : id + 1;
  outgoing.set(id, { id, inv, reader: stream.getReader(), onEnd, onCancel, credit: 0, rest: null, running: false, over: false });
  return id;
}

/** IN_PULL. */
export function onPull(id: number, n: number): void {
  const s = outgoing.get(id);
  if (s === undefined || !(n > 0)) return;
  s.credit += n;
  void pump(s);
}

/**
 * IN_CANCEL: the host wants no more (its reader went away, or a limit was passed). The
 * stream ends now; its cancel is the function's code and runs on as the invocation's
 * waitUntil work, so what it does (and logs) still belongs to the invocation, whose record
 * is completed when that work settles, and a cancel that never settles is bounded by the
 * timeout as any such work.
 */
export function onCancel(id: number, reason: unknown): void {
  const s = outgoing.get(id);
  if (s === undefined) return;
  enter(s.inv);
  stop(s);
  s.onCancel();
  const settled: Promise<void> = s.reader.cancel(new DOMException(String(reason), 'AbortError')).then(
    () => undefined,
    () => undefined,
  );
  if (!s.inv.finished) {
    s.inv.waits.add(settled);
    void settled.then(() => s.inv.waits.delete(settled));
  }
  enter(s.inv);
  s.onEnd(null, true, s.id);
}

/** No more chunks: the pump stops and the number is forgotten. */
function stop(s: Outgoing): boolean {
  if (s.over) return false;
  s.over = true;
  s.rest = null;
  outgoing.delete(s.id);
  return true;
}

function end(s: Outgoing, error: string | null, cancelled: boolean): void {
  if (stop(s)) s.onEnd(error, cancelled, s.id);
}

async function pump(s: Outgoing): Promise<void> {
  if (s.running) return;
  s.running = true;
  try {
    while (s.credit > 0 && !s.over) {
      let piece = s.rest;
      if (piece === null) {
        let r: { done: boolean; value: unknown };
        try {
          r = await s.reader.read();
        } catch (e) {
          enter(s.inv);
          end(s, describe(e), false);
          return;
        }
        enter(s.inv);
        if (s.over) return;
        if (r.done) {
          end(s, null, false);
          return;
        }
        const bytes = chunkBytes(r.value);
        if (bytes === null) {
          end(s, 'TypeError\nA body stream chunk must be a Uint8Array, ArrayBuffer or string', false);
          s.reader.cancel(new TypeError('not a byte chunk')).catch(() => undefined);
          return;
        }
        if (bytes.length === 0) continue;
        piece = bytes;
      }
      s.rest = piece.length > PIECE ? piece.subarray(PIECE) : null;
      s.credit--;
      send(OUT_CHUNK, s.id, exactBuffer(piece.length > PIECE ? piece.subarray(0, PIECE) : piece));
    }
  } finally {
    s.running = false;
  }
}

interface Waiting {
  readonly inv: Invocation;
  readonly controller: ReadableStreamDefaultController<Uint8Array>;
  readonly resolve: () => void;
}

const waiting = new Map<number, Waiting>();

/** A stream of the host's incoming stream `id` (a streamed upload, a fetch response), read on behalf of `inv`. */
export function fromHost(id: number, inv: Invocation): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      return new Promise<void>((resolve) => {
        waiting.set(id, { inv, controller, resolve });
        send(OUT_READ, inv.seq, id);
      });
    },
    cancel() {
      const w = waiting.get(id);
      waiting.delete(id);
      w?.resolve();
      send(OUT_RCANCEL, id);
    },
    // nothing is asked of the host before the function reads
  }, { highWaterMark: 0 });
}

/** IN_DATA. */
export function onData(id: number, chunk: unknown, error: unknown): void {
  const w = waiting.get(id);
  if (w === undefined) return;
  waiting.delete(id);
  enter(w.inv);
  try {
    if (typeof error === 'string') w.controller.error(new TypeError(error));
    else if (chunk instanceof ArrayBuffer) w.controller.enqueue(new Uint8Array(chunk));
    else w.controller.close();
  } catch {
    /* cancelled meanwhile */
  }
  w.resolve();
}

/** The invocation is over: what it still had open is forgotten (the host has closed its ends). */
export function dropStreamsOf(inv: Invocation): void {
  for (const [id, s] of outgoing) {
    if (s.inv !== inv) continue;
    s.over = true;
    outgoing.delete(id);
    s.reader.cancel(new DOMException('the invocation is over', 'AbortError')).catch(() => undefined);
  }
  for (const [id, w] of waiting) if (w.inv === inv) waiting.delete(id);
}
