/**
 * `async_hooks`: AsyncLocalStorage and AsyncResource. The isolate has no promise hooks, so
 * the context is carried by hand: the bundler lowers async functions to generators when
 * this module is imported (each `await` then goes through Promise.prototype.then), and this
 * module wraps `then`, the timers and queueMicrotask so a callback runs in the context that
 * was current when it was scheduled. Host callbacks (fetch replies, timers) resolve
 * promises whose reactions were registered in that context, so they carry it too.
 */
type Frame = ReadonlyMap<AsyncLocalStorage<unknown>, unknown>;
const EMPTY: Frame = new Map();
let current: Frame = EMPTY;

type Fn = (...args: unknown[]) => unknown;

function bound<F extends Fn>(fn: F, frame: Frame): F {
  return function (this: unknown, ...args: unknown[]) {
    const saved = current;
    current = frame;
    try {
      return fn.apply(this, args);
    } finally {
      current = saved;
    }
  } as F;
}

const g = globalThis as unknown as Record<string | symbol, unknown>;
const PATCHED = Symbol.for('nimbus.node.async-context');

function patch(): void {
  if (g[PATCHED]) return;
  g[PATCHED] = true;
  const then = Promise.prototype.then;
  // eslint-disable-next-line no-extend-native
  Promise.prototype.then = function (this: Promise<unknown>, onFulfilled?: unknown, onRejected?: unknown) {
    const frame = current;
    if (frame === EMPTY) return then.call(this, onFulfilled as Fn, onRejected as Fn);
    return then.call(
      this,
      typeof onFulfilled === 'function' ? bound(onFulfilled as Fn, frame) : onFulfilled as undefined,
      typeof onRejected === 'function' ? bound(onRejected as Fn, frame) : onRejected as undefined,
    );
  } as typeof then;
  for (const name of ['setTimeout', 'setInterval', 'queueMicrotask']) {
    const original = g[name] as Fn;
    if (typeof original !== 'function') continue;
    const wrapped = function (this: unknown, fn: unknown, ...rest: unknown[]) {
      const frame = current;
      return original.call(this, typeof fn === 'function' && frame !== EMPTY ? bound(fn as Fn, frame) : fn, ...rest);
    };
    Object.defineProperty(g, name, { value: wrapped, writable: true, configurable: true, enumerable: false });
  }
}
patch();

export class AsyncLocalStorage<T> {
  #enabled = false;

  static bind<F extends Fn>(fn: F): F {
    return bound(fn, current);
  }

  static snapshot(): <R>(fn: (...args: unknown[]) => R, ...args: unknown[]) => R {
    const frame = current;
    return (fn, ...args) => bound(fn as Fn, frame)(...args) as ReturnType<typeof fn>;
  }

  getStore(): T | undefined {
    return current.get(this as AsyncLocalStorage<unknown>) as T | undefined;
  }

  run<R>(store: T, fn: (...args: unknown[]) => R, ...args: unknown[]): R {
    this.#enabled = true;
    const next = new Map(current);
    next.set(this as AsyncLocalStorage<unknown>, store);
    return bound(fn as Fn, next)(...args) as R;
  }

  exit<R>(fn: (...args: unknown[]) => R, ...args: unknown[]): R {
    const next = new Map(current);
    next.delete(this as AsyncLocalStorage<unknown>);
    return bound(fn as Fn, next.size === 0 ? EMPTY : next)(...args) as R;
  }

  enterWith(store: T): void {
    this.#enabled = true;
    const next = new Map(current);
    next.set(this as AsyncLocalStorage<unknown>, store);
    current = next;
  }

  disable(): void {
    if (!this.#enabled) return;
    this.#enabled = false;
    if (current.has(this as AsyncLocalStorage<unknown>)) {
      const next = new Map(current);
      next.delete(this as AsyncLocalStorage<unknown>);
      current = next.size === 0 ? EMPTY : next;
    }
  }
}

let nextAsyncId = 2;

export class AsyncResource {
  readonly type: string;
  readonly #frame: Frame;
  readonly #id = nextAsyncId++;
  constructor(type: string, _options?: unknown) {
    this.type = type;
    this.#frame = current;
  }
  static bind<F extends Fn>(fn: F, type?: string, thisArg?: unknown): F {
    return new AsyncResource(type ?? 'bound-anonymous-fn').bind(fn, thisArg);
  }
  bind<F extends Fn>(fn: F, thisArg?: unknown): F {
    const run = (...args: unknown[]) => this.runInAsyncScope(fn, thisArg, ...args);
    return run as F;
  }
  runInAsyncScope<R>(fn: (...args: unknown[]) => R, thisArg?: unknown, ...args: unknown[]): R {
    return bound(fn as Fn, this.#frame).apply(thisArg, args) as R;
  }
  emitDestroy(): this {
    return this;
  }
  asyncId(): number {
    return this.#id;
  }
  triggerAsyncId(): number {
    return 1;
  }
}

export const executionAsyncId = (): number => 1;
export const triggerAsyncId = (): number => 0;
export const executionAsyncResource = (): object => ({});
/** Hooks cannot observe the engine's resources from inside it: createHook returns a hook that never fires. */
export function createHook(_callbacks: unknown): { enable(): unknown; disable(): unknown } {
  const hook = { enable: () => hook, disable: () => hook };
  return hook;
}
export const asyncWrapProviders = Object.freeze({});

export default { AsyncLocalStorage, AsyncResource, executionAsyncId, triggerAsyncId, executionAsyncResource, createHook, asyncWrapProviders };
