/**
 * The stream classes crypto's objects extend, as in Node (Hash, Hmac, Cipher and Decipher
 * are Transforms, Sign and Verify Writables), without loading `stream` for code that never
 * uses them as streams. A lazy base's prototype stands in for the stream class's until
 * anything looks past it (a stream method, `instanceof`, `in`): the stream module is loaded
 * then and the base's prototype linked to the class's for good. An object's stream state is
 * made when first read (Node's LazyTransform does the same), so `update`/`digest` alone
 * never make it.
 */
import type * as NodeStream from 'node:stream';

type StreamModule = typeof import('./stream.ts');

export type StreamCallback = (error?: Error | null) => void;

/** Runs one step of a stream method (_write, _transform, _flush): its error, if it throws, goes to the stream's callback. */
export function streamStep(callback: StreamCallback, step: () => void): void {
  try {
    step();
    callback();
  } catch (error) {
    callback(error as Error);
  }
}

/** A written chunk's encoding as update() takes it: none for bytes. */
export function chunkEncoding(encoding: string): string | undefined {
  return encoding === 'buffer' ? undefined : encoding;
}

function streams(): StreamModule {
  // esbuild turns a require() of an ES module into a lazy init of it
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./stream.ts') as StreamModule;
}

interface LazyObject {
  _options?: unknown;
}

type Ctor = (new (options?: unknown) => object) & { call(self: unknown, options: unknown): unknown };

function lazyBase(parentOf: (s: StreamModule) => unknown, stateNames: readonly string[]): unknown {
  let parent: Ctor | null = null;
  const link = (): Ctor => {
    if (parent === null) {
      parent = parentOf(streams()) as Ctor;
      Object.setPrototypeOf(Base.prototype, parent.prototype);
      Object.setPrototypeOf(Base, parent);
    }
    return parent;
  };
  function Base(this: LazyObject, options?: unknown): void {
    // defined, not assigned: an assignment would look up the prototype chain, and link it
    Object.defineProperty(this, '_options', { value: options, enumerable: true, configurable: true, writable: true });
  }
  Object.setPrototypeOf(Base.prototype, new Proxy({}, {
    get: (_target, key, receiver) => Reflect.get(link().prototype, key, receiver),
    set: (_target, key, value, receiver) => Reflect.set(link().prototype, key, value, receiver),
    has: (_target, key) => Reflect.has(link().prototype, key),
    getPrototypeOf: () => link().prototype,
  }));
  const starting = new WeakSet<object>();
  for (const name of stateNames) {
    Object.defineProperty(Base.prototype, name, {
      configurable: true,
      enumerable: true,
      get(this: LazyObject) {
        // read by the stream constructor itself before it sets it
        if (starting.has(this)) return undefined;
        starting.add(this);
        try {
          link().call(this, this._options);
        } finally {
          starting.delete(this);
        }
        return (this as Record<string, unknown>)[name];
      },
      set(this: LazyObject, value: unknown) {
        Object.defineProperty(this, name, { value, enumerable: true, configurable: true, writable: true });
      },
    });
  }
  return Base;
}

/** A stream.Transform whose stream part is made when first used. */
export const LazyTransform = lazyBase((s) => s.Transform, ['_readableState', '_writableState']) as typeof NodeStream.Transform;
/** A stream.Writable whose stream part is made when first used. */
export const LazyWritable = lazyBase((s) => s.Writable, ['_writableState']) as typeof NodeStream.Writable;
