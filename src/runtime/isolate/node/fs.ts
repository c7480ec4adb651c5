/** `fs`: the function's file system (vfs.ts) in Node's sync, callback and promise forms, with read and write streams. */
// by name, not `import * as`: a namespace object would give each export a getter function of its own
import {
  readFileSync, writeFileSync, appendFileSync, existsSync, statSync, lstatSync, accessSync, readdirSync, mkdirSync, unlinkSync,
  rmdirSync, rmSync, renameSync, copyFileSync, realpathSync, mkdtempSync, truncateSync, chmodSync, utimesSync, Stats, Dirent,
} from './fs-sync.ts';
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

export {
  readFileSync, writeFileSync, appendFileSync, existsSync, statSync, lstatSync, accessSync, readdirSync, mkdirSync, unlinkSync,
  rmdirSync, rmSync, renameSync, copyFileSync, realpathSync, mkdtempSync, truncateSync, chmodSync, utimesSync, Stats, Dirent,
};

export const readFile = callbackOf(readFileSync);
export const writeFile = callbackOf(writeFileSync);
export const appendFile = callbackOf(appendFileSync);
export const stat = callbackOf(statSync);
export const lstat = callbackOf(lstatSync);
export const access = callbackOf(accessSync);
export const readdir = callbackOf(readdirSync);
export const mkdir = callbackOf(mkdirSync);
export const unlink = callbackOf(unlinkSync);
export const rmdir = callbackOf(rmdirSync);
export const rm = callbackOf(rmSync);
export const rename = callbackOf(renameSync);
export const copyFile = callbackOf(copyFileSync);
export const realpath = callbackOf(realpathSync);
export const mkdtemp = callbackOf(mkdtempSync);
export const truncate = callbackOf(truncateSync);
export const chmod = callbackOf(chmodSync);
export const utimes = callbackOf(utimesSync);
export function exists(path: unknown, cb: (exists: boolean) => void): void {
  const found = existsSync(path);
  queueMicrotask(() => cb(found));
}

export function createReadStream(path: unknown, options?: { encoding?: string; start?: number; end?: number; highWaterMark?: number }) {
  const stream = new (streams().Readable)({ read() {} });
  queueMicrotask(() => {
    try {
      const data = readFileSync(path) as Uint8Array;
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
          if (first) writeFileSync(path, chunk);
          else appendFileSync(path, chunk);
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
  readFileSync, writeFileSync, appendFileSync, existsSync, statSync, lstatSync, accessSync, readdirSync, mkdirSync, unlinkSync, rmdirSync, rmSync, renameSync, copyFileSync, realpathSync, mkdtempSync, truncateSync, chmodSync, utimesSync, Stats, Dirent,
  readFile, writeFile, appendFile, stat, lstat, access, readdir, mkdir, unlink, rmdir, rm, rename, copyFile, realpath, mkdtemp,
  truncate, chmod, utimes, exists, createReadStream, createWriteStream, constants, F_OK, R_OK, W_OK, X_OK, promises,
};
