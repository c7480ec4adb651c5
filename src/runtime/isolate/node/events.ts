/**
 * `events`: the npm `events` package (Node's EventEmitter, ported), with the newer pieces
 * packages use: `on` (async iterator), `errorMonitor`, `captureRejectionSymbol`,
 * `getEventListeners`, `setMaxListeners`, and the global `EventTarget`/`Event`.
 */
// require(), not import: esbuild would wrap the CommonJS module in an ES namespace copy with a getter per property
// eslint-disable-next-line @typescript-eslint/no-require-imports
const EventEmitterModule = require('events') as typeof import('events');

type Emitter = {
  on(name: string | symbol, fn: (...args: unknown[]) => void): unknown;
  off?(name: string | symbol, fn: (...args: unknown[]) => void): unknown;
  removeListener(name: string | symbol, fn: (...args: unknown[]) => void): unknown;
  listeners(name: string | symbol): unknown[];
  setMaxListeners?(n: number): unknown;
};

const EE = EventEmitterModule as unknown as {
  new (): Emitter;
  once(emitter: unknown, name: string | symbol, options?: unknown): Promise<unknown[]>;
  defaultMaxListeners: number;
  EventEmitter: unknown;
} & Record<string, unknown>;

export const errorMonitor: unique symbol = Symbol('events.errorMonitor');
export const captureRejectionSymbol: unique symbol = Symbol.for('nodejs.rejection');

/** `events.on(emitter, name)`: an async iterator of the event's argument arrays; `error` rejects it. */
export function on(emitter: Emitter, name: string | symbol, options?: { signal?: AbortSignal }): AsyncIterableIterator<unknown[]> {
  const queued: unknown[][] = [];
  const waiting: Array<{ resolve: (r: IteratorResult<unknown[]>) => void; reject: (e: unknown) => void }> = [];
  let failure: unknown = null;
  let done = false;
  const onEvent = (...args: unknown[]) => {
    const w = waiting.shift();
    if (w) w.resolve({ value: args, done: false });
    else queued.push(args);
  };
  const onError = (error: unknown) => {
    done = true;
    const w = waiting.shift();
    if (w) w.reject(error);
    else failure = error;
    stop();
  };
  const stop = () => {
    done = true;
    emitter.removeListener(name, onEvent);
    if (name !== 'error') emitter.removeListener('error', onError);
    for (const w of waiting.splice(0)) w.resolve({ value: undefined, done: true });
  };
  emitter.on(name, onEvent);
  if (name !== 'error') emitter.on('error', onError);
  options?.signal?.addEventListener('abort', () => onError(options.signal?.reason ?? new Error('The operation was aborted')), { once: true });
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next(): Promise<IteratorResult<unknown[]>> {
      const value = queued.shift();
      if (value !== undefined) return Promise.resolve({ value, done: false });
      if (failure !== null) {
        const e = failure;
        failure = null;
        return Promise.reject(e);
      }
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    return(): Promise<IteratorResult<unknown[]>> {
      stop();
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(error: unknown): Promise<IteratorResult<unknown[]>> {
      stop();
      return Promise.reject(error);
    },
  };
}

export function getEventListeners(target: Emitter, name: string | symbol): unknown[] {
  return typeof target.listeners === 'function' ? target.listeners(name) : [];
}

export function setMaxListeners(n: number, ...targets: Emitter[]): void {
  if (targets.length === 0) EE.defaultMaxListeners = n;
  for (const t of targets) t.setMaxListeners?.(n);
}

export const EventEmitter = EE;
export const once = EE.once;
export const EventTarget = globalThis.EventTarget;
export const Event = globalThis.Event;

Object.assign(EE, { on, errorMonitor, captureRejectionSymbol, getEventListeners, setMaxListeners, EventTarget, Event, EventEmitter: EE });
export default EE;
