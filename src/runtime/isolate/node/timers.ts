/**
 * `timers`: Node's timer functions on the isolate's timers. They return Timeout objects
 * (ref/unref/hasRef/refresh, usable as their numeric id) as Node's do; `setImmediate` runs
 * on the next timer turn.
 */
type Fn = (...args: unknown[]) => void;

const host = {
  setTimeout: globalThis.setTimeout as unknown as (fn: Fn, ms?: number, ...args: unknown[]) => number,
  clearTimeout: globalThis.clearTimeout as unknown as (id: unknown) => void,
  setInterval: globalThis.setInterval as unknown as (fn: Fn, ms?: number, ...args: unknown[]) => number,
  clearInterval: globalThis.clearInterval as unknown as (id: unknown) => void,
};

export class Timeout {
  #id: number;
  #refed = true;
  readonly #arm: () => number;
  constructor(arm: () => number) {
    this.#arm = arm;
    this.#id = arm();
  }
  ref(): this {
    this.#refed = true;
    return this;
  }
  unref(): this {
    this.#refed = false;
    return this;
  }
  hasRef(): boolean {
    return this.#refed;
  }
  refresh(): this {
    host.clearTimeout(this.#id);
    this.#id = this.#arm();
    return this;
  }
  close(): this {
    host.clearTimeout(this.#id);
    return this;
  }
  [Symbol.toPrimitive](): number {
    return this.#id;
  }
}

export class Immediate extends Timeout {}

function idOf(t: unknown): unknown {
  return t instanceof Timeout ? t[Symbol.toPrimitive]() : t;
}

export function setTimeout(fn: Fn, ms?: number, ...args: unknown[]): Timeout {
  return new Timeout(() => host.setTimeout(fn, ms, ...args));
}
export function setInterval(fn: Fn, ms?: number, ...args: unknown[]): Timeout {
  return new Timeout(() => host.setInterval(fn, ms, ...args));
}
export function setImmediate(fn: Fn, ...args: unknown[]): Immediate {
  if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
  return new Immediate(() => host.setTimeout(fn, 0, ...args));
}
export function clearTimeout(t: unknown): void {
  host.clearTimeout(idOf(t));
}
export function clearInterval(t: unknown): void {
  host.clearInterval(idOf(t));
}
export const clearImmediate = clearTimeout;

export { promises } from './timers-promises.ts';

import { promises } from './timers-promises.ts';
export default { setTimeout, setInterval, setImmediate, clearTimeout, clearInterval, clearImmediate, Timeout, Immediate, promises };
