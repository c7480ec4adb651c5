/** The synchronous `fs` functions over the function's file system (vfs.ts). */
import { Buffer } from './buffer.ts';
import {
  children, eexist, eisdir, enoent, enotdir, enotempty, find, lookup, makeNode, parentOf, put, remove, rename, toPath, writable, type Node,
} from './vfs.ts';

type Encoding = string | null | undefined;
type Options = Encoding | { encoding?: Encoding; flag?: string; recursive?: boolean; withFileTypes?: boolean; force?: boolean };

function encodingOf(options: Options): Encoding {
  return typeof options === 'string' || options === null || options === undefined ? options : options.encoding;
}

function bytesOf(data: unknown, options: Options): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, (encodingOf(options) ?? 'utf8') as BufferEncoding);
  if (data instanceof Uint8Array) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  throw new TypeError('The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView');
}

/** The type predicates Stats and Dirent share: this file system holds only files and directories. */
abstract class EntryType {
  readonly #dir: boolean;
  constructor(dir: boolean) {
    this.#dir = dir;
  }
  isFile(): boolean {
    return !this.#dir;
  }
  isDirectory(): boolean {
    return this.#dir;
  }
  isSymbolicLink(): boolean {
    return false;
  }
  isBlockDevice(): boolean {
    return false;
  }
  isCharacterDevice(): boolean {
    return false;
  }
  isFIFO(): boolean {
    return false;
  }
  isSocket(): boolean {
    return false;
  }
}

export class Stats extends EntryType {
  readonly dev = 1;
  readonly mode: number;
  readonly nlink = 1;
  readonly uid = 0;
  readonly gid = 0;
  readonly rdev = 0;
  readonly blksize = 4096;
  readonly ino: number;
  readonly size: number;
  readonly blocks: number;
  readonly atimeMs: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly birthtimeMs: number;
  readonly atime: Date;
  readonly mtime: Date;
  readonly ctime: Date;
  readonly birthtime: Date;
  constructor(node: Node, readOnly: boolean) {
    const dir = node.kind === 'dir';
    super(dir);
    this.mode = (dir ? 0o040000 : 0o100000) | (readOnly ? (dir ? 0o555 : 0o444) : dir ? 0o755 : 0o644);
    this.ino = node.ino;
    this.size = node.kind === 'file' ? node.data.byteLength : 4096;
    this.blocks = Math.ceil(this.size / 512);
    this.atimeMs = this.mtimeMs = this.ctimeMs = node.mtimeMs;
    this.birthtimeMs = node.birthtimeMs;
    this.atime = this.mtime = this.ctime = new Date(node.mtimeMs);
    this.birthtime = new Date(node.birthtimeMs);
  }
}

export class Dirent extends EntryType {
  readonly name: string;
  readonly parentPath: string;
  readonly path: string;
  constructor(name: string, parent: string, dir: boolean) {
    super(dir);
    this.name = name;
    this.parentPath = this.path = parent;
  }
}

const isTmp = (path: string) => path === '/tmp' || path.startsWith('/tmp/');

export function readFileSync(file: unknown, options?: Options): string | Buffer {
  const path = toPath(file);
  const node = lookup('open', path);
  if (node.kind === 'dir') throw eisdir('read', path);
  const buf = Buffer.from(node.data);
  const enc = encodingOf(options);
  return enc ? buf.toString(enc as BufferEncoding) : buf;
}

function writeData(syscall: string, file: unknown, data: unknown, options: Options, append: boolean): void {
  const path = toPath(file);
  writable(syscall, path);
  const existing = find(path);
  if (existing?.kind === 'dir') throw eisdir(syscall, path);
  const flag = typeof options === 'object' && options !== null ? options.flag : undefined;
  if (flag?.includes('x') && existing) throw eexist(syscall, path);
  const bytes = bytesOf(data, options);
  const add = append || flag?.startsWith('a');
  if (existing && add) {
    const next = new Uint8Array(existing.data.byteLength + bytes.byteLength);
    next.set(existing.data);
    next.set(bytes, existing.data.byteLength);
    existing.data = next;
    existing.mtimeMs = Date.now();
  } else if (existing) {
    existing.data = bytes;
    existing.mtimeMs = Date.now();
  } else put(path, makeNode('file', bytes));
}

export function writeFileSync(file: unknown, data: unknown, options?: Options): void {
  writeData('open', file, data, options, false);
}

export function appendFileSync(file: unknown, data: unknown, options?: Options): void {
  writeData('open', file, data, options, true);
}

export function existsSync(file: unknown): boolean {
  try {
    return find(toPath(file)) !== undefined;
  } catch {
    return false;
  }
}

export function statSync(file: unknown, options?: { throwIfNoEntry?: boolean }): Stats | undefined {
  const path = toPath(file);
  try {
    return new Stats(lookup('stat', path), !isTmp(path));
  } catch (error) {
    if (options?.throwIfNoEntry === false && (error as { code?: string }).code === 'ENOENT') return undefined;
    throw error;
  }
}
export const lstatSync = statSync;

export function accessSync(file: unknown, mode = 0): void {
  const path = toPath(file);
  lookup('access', path);
  if ((mode & 2) !== 0 && !isTmp(path)) writable('access', path);
}

export function readdirSync(dir: unknown, options?: Options): Array<string | Dirent> {
  const path = toPath(dir);
  const node = lookup('scandir', path);
  if (node.kind !== 'dir') throw enotdir('scandir', path);
  const opts = typeof options === 'object' && options !== null ? options : {};
  const names = opts.recursive ? walk(path, '') : children(path);
  if (!opts.withFileTypes) return names;
  return names.map((n) => {
    const full = `${path === '/' ? '' : path}/${n}`;
    return new Dirent(n.slice(n.lastIndexOf('/') + 1), parentOf(full), find(full)?.kind === 'dir');
  });
}

function walk(path: string, prefix: string): string[] {
  const out: string[] = [];
  for (const name of children(path)) {
    out.push(prefix + name);
    const full = `${path}/${name}`;
    if (find(full)?.kind === 'dir') out.push(...walk(full, `${prefix}${name}/`));
  }
  return out;
}

export function mkdirSync(dir: unknown, options?: { recursive?: boolean; mode?: number } | number): string | undefined {
  const path = toPath(dir);
  const recursive = typeof options === 'object' && options?.recursive === true;
  const existing = find(path);
  if (existing) {
    if (recursive && existing.kind === 'dir') return undefined;
    throw eexist('mkdir', path);
  }
  if (recursive) {
    const missing: string[] = [];
    for (let p = path; find(p) === undefined; p = parentOf(p)) missing.unshift(p);
    for (const p of missing) {
      writable('mkdir', p);
      put(p, makeNode('dir'));
    }
    return missing[0];
  }
  writable('mkdir', path);
  put(path, makeNode('dir'));
  return undefined;
}

export function unlinkSync(file: unknown): void {
  const path = toPath(file);
  writable('unlink', path);
  const node = lookup('unlink', path);
  if (node.kind === 'dir') throw eisdir('unlink', path);
  remove(path);
}

export function rmdirSync(dir: unknown, options?: { recursive?: boolean }): void {
  const path = toPath(dir);
  writable('rmdir', path);
  const node = lookup('rmdir', path);
  if (node.kind !== 'dir') throw enotdir('rmdir', path);
  if (!options?.recursive && children(path).length > 0) throw enotempty('rmdir', path);
  remove(path);
}

export function rmSync(target: unknown, options?: { recursive?: boolean; force?: boolean }): void {
  const path = toPath(target);
  writable('rm', path);
  const node = find(path);
  if (node === undefined) {
    if (options?.force) return;
    throw enoent('rm', path);
  }
  if (node.kind === 'dir' && !options?.recursive) throw Object.assign(eisdir('rm', path), { code: 'ERR_FS_EISDIR' });
  remove(path);
}

export function renameSync(from: unknown, to: unknown): void {
  const a = toPath(from);
  const b = toPath(to);
  writable('rename', a);
  writable('rename', b);
  lookup('rename', a);
  if (find(b)?.kind === 'dir' && children(b).length > 0) throw enotempty('rename', b);
  remove(b);
  rename(a, b);
}

export function copyFileSync(from: unknown, to: unknown, mode = 0): void {
  const node = lookup('copyfile', toPath(from));
  if (node.kind === 'dir') throw eisdir('copyfile', toPath(from));
  const dest = toPath(to);
  if ((mode & 1) !== 0 && find(dest)) throw eexist('copyfile', dest);
  writeFileSync(dest, node.data);
}

export function realpathSync(file: unknown): string {
  const path = toPath(file);
  lookup('realpath', path);
  return path;
}
realpathSync.native = realpathSync;

export function mkdtempSync(prefix: string): string {
  const path = toPath(prefix + Math.random().toString(36).slice(2, 8));
  mkdirSync(path);
  return path;
}

export function truncateSync(file: unknown, len = 0): void {
  const path = toPath(file);
  writable('open', path);
  const node = lookup('open', path);
  if (node.kind === 'dir') throw eisdir('open', path);
  const next = new Uint8Array(len);
  next.set(node.data.subarray(0, len));
  node.data = next;
  node.mtimeMs = Date.now();
}

export function chmodSync(file: unknown): void {
  lookup('chmod', toPath(file));
}

export function utimesSync(file: unknown): void {
  lookup('utime', toPath(file));
}
