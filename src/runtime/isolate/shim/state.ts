/** Which invocation the code running now belongs to (best effort with several in flight). */
import { markCurrent } from './bridge.ts';

export interface Invocation {
  readonly seq: number;
  readonly id: string;
  /** Date.now() value at which the deadline falls, as seen inside the isolate. */
  readonly deadlineAt: number;
  /** Promises passed to waitUntil, pending. */
  readonly waits: Set<Promise<unknown>>;
  /** Result sent to the host. */
  responded: boolean;
  /** Result sent and background settled: timers and calls of it are dropped. */
  finished: boolean;
  /** Console lines and characters sent so far (the shim caps both). */
  logLines: number;
  logChars: number;
  /** The incoming request (its signal aborts when its client goes away); null for calls without one. */
  request: { _abort(reason: unknown): void } | null;
}

/** Stands for module initialisation and for code no invocation owns. */
export const NO_INVOCATION: Invocation = {
  seq: 0,
  id: '',
  deadlineAt: Infinity,
  waits: new Set(),
  responded: false,
  finished: false,
  logLines: 0,
  logChars: 0,
  request: null,
};

let current: Invocation = NO_INVOCATION;

export function currentInvocation(): Invocation {
  return current;
}

/** Called at every entry from the host (invoke, timer, reply). */
export function enter(inv: Invocation): void {
  current = inv;
  markCurrent(inv.seq);
}

/** Invocations not finished, by number: what an event the host numbers by owner runs as. */
const live = new Map<number, Invocation>();

export function started(inv: Invocation): void {
  if (inv.seq !== 0) live.set(inv.seq, inv);
}

export function ended(inv: Invocation): void {
  if (live.get(inv.seq) === inv) live.delete(inv.seq);
}

/** The invocation numbered `seq` while it is not finished, else NO_INVOCATION. */
export function invocationOf(seq: number): Invocation {
  const inv = live.get(seq);
  return inv === undefined || inv.finished ? NO_INVOCATION : inv;
}
