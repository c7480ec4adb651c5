/** `fs/promises`: the same file system, promise-shaped. */
import * as sync from './fs-sync.ts';

type Fn = (...args: never[]) => unknown;
function lift<F extends Fn>(fn: F): (...args: Parameters<F>) => Promise<ReturnType<F>> {
  return (...args) => {
    try {
      return Promise.resolve(fn(...args) as ReturnType<F>);
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

export const readFile = lift(sync.readFileSync);
export const writeFile = lift(sync.writeFileSync);
export const appendFile = lift(sync.appendFileSync);
export const stat = lift(sync.statSync);
export const lstat = lift(sync.lstatSync);
export const access = lift(sync.accessSync);
export const readdir = lift(sync.readdirSync);
export const mkdir = lift(sync.mkdirSync);
export const unlink = lift(sync.unlinkSync);
export const rmdir = lift(sync.rmdirSync);
export const rm = lift(sync.rmSync);
export const rename = lift(sync.renameSync);
export const copyFile = lift(sync.copyFileSync);
export const realpath = lift(sync.realpathSync);
export const mkdtemp = lift(sync.mkdtempSync);
export const truncate = lift(sync.truncateSync);
export const chmod = lift(sync.chmodSync);
export const utimes = lift(sync.utimesSync);
export const constants = Object.freeze({ F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1, COPYFILE_EXCL: 1 });

export default { readFile, writeFile, appendFile, stat, lstat, access, readdir, mkdir, unlink, rmdir, rm, rename, copyFile, realpath, mkdtemp, truncate, chmod, utimes, constants };
