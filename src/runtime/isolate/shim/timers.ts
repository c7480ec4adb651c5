/**
 * setTimeout & co. run on host timers. A timer belongs to the invocation that set it:
 * its callback runs as that invocation (logs, CPU), and it is dropped when that
 * invocation has finished (result sent and waitUntil work settled). Timers set while
 * the module initialises belong to no invocation and live as long as the instance.
 */
import { OUT_TIMER_CLEAR, OUT_TIMER_SET } from '../protocol.ts';
import { send } from './bridge.ts';
import { reportError } from './events.ts';
import { currentInvocation, enter, type Invocation } from './state.ts';

interface Timer {
  readonly inv: Invocation;
  readonly fn: (...args: unknown[]) => unknown;
  readonly args: unknown[];
  readonly interval: number; // -1 for a timeout
}

const timers = new Map<number, Timer>();
let nextId = 1;

function delay(ms: unknown): number {
  const n = Number(ms);
  return Number.isFinite(n) && n > 0 ? Math.min(n, 2 ** 31 - 1) : 0;
}

function arm(fn: unknown, ms: unknown, args: unknown[], interval: boolean): number {
  if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
  const inv = currentInvocation();
  const id = nextId++;
  const d = delay(ms);
  timers.set(id, { inv, fn: fn as Timer['fn'], args, interval: interval ? d : -1 });
  send(OUT_TIMER_SET, inv.seq, id, d);
  return id;
}

function idOf(handle: unknown): number {
  return Number(handle);
}

function disarm(handle: unknown): void {
  const id = idOf(handle);
  if (timers.delete(id)) send(OUT_TIMER_CLEAR, id);
}

export function setTimeout(fn: unknown, ms?: unknown, ...args: unknown[]): number {
  return arm(fn, ms, args, false);
}
export function setInterval(fn: unknown, ms?: unknown, ...args: unknown[]): number {
  return arm(fn, ms, args, true);
}
export const clearTimeout = disarm;
export const clearInterval = disarm;

/** IN_TIMER from the host. */
export function fireTimer(id: number): void {
  const t = timers.get(id);
  if (t === undefined) return;
  if (t.inv.finished) {
    timers.delete(id);
    return;
  }
  if (t.interval < 0) timers.delete(id);
  else send(OUT_TIMER_SET, t.inv.seq, id, t.interval);
  enter(t.inv);
  try {
    t.fn(...t.args);
  } catch (error) {
    reportError(error);
  }
}

/** The invocation finished: its timers go (the host cancels its side too). */
export function dropTimersOf(inv: Invocation): void {
  for (const [id, t] of timers) if (t.inv === inv) timers.delete(id);
}

export function queueMicrotask(fn: unknown): void {
  if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
  const inv = currentInvocation();
  Promise.resolve().then(() => {
    enter(inv);
    try {
      (fn as () => void)();
    } catch (error) {
      reportError(error);
    }
  });
}
