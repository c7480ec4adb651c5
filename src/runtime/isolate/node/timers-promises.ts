/** `timers/promises`: promise forms of the timers, with AbortSignal. */
interface Options {
  signal?: AbortSignal;
  ref?: boolean;
}

function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR', cause: signal.reason });
}

function wait<T>(ms: number, value: T, options?: Options): Promise<T> {
  const signal = options?.signal;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      globalThis.clearTimeout(id);
      reject(abortError(signal!));
    };
    const id = globalThis.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(value);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function setTimeout<T = void>(ms?: number, value?: T, options?: Options): Promise<T> {
  return wait(ms ?? 1, value as T, options);
}

export function setImmediate<T = void>(value?: T, options?: Options): Promise<T> {
  return wait(0, value as T, options);
}

export async function* setInterval<T = void>(ms?: number, value?: T, options?: Options): AsyncGenerator<T> {
  for (;;) yield await wait(ms ?? 1, value as T, options);
}

export const scheduler = {
  wait: (ms: number, options?: Options) => wait(ms, undefined, options),
  yield: () => wait(0, undefined),
};

export const promises = { setTimeout, setImmediate, setInterval, scheduler };
export default promises;
