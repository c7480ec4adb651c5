/**
 * Asynchronous calls to the host (outbound fetch, digests). Each belongs to the
 * invocation that made it: its reply runs as that invocation, and replies for an
 * invocation that has finished are dropped.
 */
import { OUT_CALL } from '../protocol.ts';
import { send } from './bridge.ts';
import { currentInvocation, enter, type Invocation } from './state.ts';
import { wasmOverLimit } from './wasm.ts';

interface PendingCall {
  readonly inv: Invocation;
  resolve(value: unknown): void;
  reject(reason: unknown): void;
}

const pending = new Map<number, PendingCall>();
let nextId = 1;

export function hostCall(op: number, a?: unknown, b?: unknown, c?: unknown, d?: unknown): Promise<unknown> {
  const inv = currentInvocation();
  if (wasmOverLimit(0, inv.seq)) return Promise.reject(new RangeError("WebAssembly memory passed the function's memory limit"));
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { inv, resolve, reject });
    send(OUT_CALL, inv.seq, id, op, a, b, c, d);
  });
}

/** IN_REPLY from the host; a failure carries the host's message. */
export function onReply(id: number, ok: boolean, value: unknown): void {
  const call = pending.get(id);
  if (call === undefined) return;
  pending.delete(id);
  enter(call.inv);
  if (ok) call.resolve(value);
  else call.reject(value);
}

export function dropCallsOf(inv: Invocation): void {
  for (const [id, call] of pending) if (call.inv === inv) pending.delete(id);
}
