/** `fs`: the function's file system (vfs.ts) in Node's sync, callback and promise forms, with read and write streams. */
import * as sync from './fs-sync.ts';
import promises from './fs-promises.ts';

/** The stream module, loaded on the first stream made: readable-stream is most of the layer's start cost. */
function streams(): typeof import('./stream.ts') {
  // esbuild turns a require() of an ES module into a lazy init of it
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./stream.ts') as typeof import('./stream.ts');
}

type Fn = (...args: never[]) => unknown;
type Callback = (error: unknown, value?: unknown) => void;

/** The callback form: the last argument is the callback, called on a later turn. */
function callbackOf<F extends Fn>(fn: F): (...args: unknown[]) => void {
  return (...args: unknown[]) => {
    const cb = args.pop() as Callback;
    if (typeof cb !== 'function') throw new TypeError('The "cb" argument must be of type function');
    let result: unknown;
    try {
      result = fn(...(args as Parameters<F>));
    } catch (error) {
      queueMicrotask(() => cb(error));
      return;
    }
    queueMicrotask(() => cb(null, result));
  };
}

export const {
  readFileSync, writeFileSync, appendFileSync, existsSync, statSync, lstatSync, accessSync, readdirSync, mkdirSync, unlinkSync,
  rmdirSync, rmSync, renameSync, copyFileSync, realpathSync, mkdtempSync, truncateSync, chmodSync, utimesSync, Stats, Dirent,
} = sync;

export const readFile = callbackOf(sync.readFileSync);
export const writeFile = callbackOf(sync.writeFileSync);
export const appendFile = callbackOf(sync.appendFileSync);
export const stat = callbackOf(sync.statSync);
export const lstat = callbackOf(sync.lstatSync);
export const access = callbackOf(sync.accessSync);
export const readdir = callbackOf(sync.readdirSync);
export const mkdir = callbackOf(sync.mkdirSync);
export const unlink = callbackOf(sync.unlinkSync);
export const rmdir = callbackOf(sync.rmdirSync);
export const rm = callbackOf(sync.rmSync);
export const rename = callbackOf(sync.renameSync);
export const copyFile = callbackOf(sync.copyFileSync);
export const realpath = callbackOf(sync.realpathSync);
export const mkdtemp = callbackOf(sync.mkdtempSync);
export const truncate = callbackOf(sync.truncateSync);
export const chmod = callbackOf(sync.chmodSync);
export const utimes = callbackOf(sync.utimesSync);
export function exists(path: unknown, cb: (exists: boolean) => void): void {
  const found = sync.existsSync(path);
  queueMicrotask(() => cb(found));
}

export function createReadStream(path: unknown, options?: { encoding?: string; start?: number; end?: number; highWaterMark?: number }) {
  const stream = new (streams().Readable)({ read() {} });
  queueMicrotask(() => {
    try {
      const data = sync.readFileSync(path) as Uint8Array;
      const chunk = data.subarray(options?.start ?? 0, options?.end === undefined ? undefined : options.end + 1);
      if (options?.encoding) stream.setEncoding(options.encoding as BufferEncoding);
      stream.push(chunk);
      stream.push(null);
    } catch (error) {
      stream.destroy(error as Error);
    }
  });
  return Object.assign(stream, { path });
}

export function createWriteStream(path: unknown, options?: { flags?: string }) {
  let first = !(options?.flags ?? 'w').startsWith('a');
  return Object.assign(
    new (streams().Writable)({
      write(chunk: Uint8Array, _enc: string, done: (error?: Error | null) => void) {
        try {
          if (first) sync.writeFileSync(path, chunk);
          else sync.appendFileSync(path, chunk);
          first = false;
          done();
        } catch (error) {
          done(error as Error);
        }
      },
    }),
    { path },
  );
}

export const constants = promises.constants;
export const F_OK = 0;
export const R_OK = 4;
export const W_OK = 2;
export const X_OK = 1;
export { promises };

export default {
  ...sync, readFile, writeFile, appendFile, stat, lstat, access, readdir, mkdir, unlink, rmdir, rm, rename, copyFile, realpath, mkdtemp,
  truncate, chmod, utimes, exists, createReadStream, createWriteStream, constants, F_OK, R_OK, W_OK, X_OK, promises,
};
