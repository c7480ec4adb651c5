/**
 * The file system a function sees: `/bundle`, read-only, holding the files deployed with it
 * (embedded at deploy, see the bundler's `nimbus:bundle-files`; a shared layer is given them
 * by `addBundleFiles` when a function owns the isolate), and `/tmp`, writable, in
 * memory, per instance (its bytes live in the isolate's heap, so they count against the
 * function's memory). Any other path is EACCES, naming the rule.
 */
import bundled from 'nimbus:bundle-files';
import { Buffer } from './buffer.ts';

export const RULE = 'functions read /bundle (their deployed files) and read and write /tmp (in memory, per instance); nothing else';

export interface Node {
  kind: 'file' | 'dir';
  data: Uint8Array;
  mtimeMs: number;
  readonly birthtimeMs: number;
  readonly ino: number;
}

let ino = 1;
const tree = new Map<string, Node>();

function mk(kind: Node['kind'], data: Uint8Array = new Uint8Array(0)): Node {
  const now = Date.now();
  return { kind, data, mtimeMs: now, birthtimeMs: now, ino: ino++ };
}

tree.set('/', mk('dir'));
tree.set('/tmp', mk('dir'));
tree.set('/bundle', mk('dir'));
/** Adds deployed files (relative path → base64) under /bundle. */
export function addBundleFiles(files: unknown): void {
  if (files === null || typeof files !== 'object') return;
  for (const [rel, base64] of Object.entries(files as Record<string, unknown>)) {
    const parts = rel.split('/').filter((p) => p !== '' && p !== '.' && p !== '..');
    if (parts.length === 0 || typeof base64 !== 'string') continue;
    let dir = '/bundle';
    for (const p of parts.slice(0, -1)) {
      dir += '/' + p;
      if (!tree.has(dir)) tree.set(dir, mk('dir'));
    }
    tree.set(`${dir}/${parts[parts.length - 1]}`, bundleFile(base64));
  }
}

/**
 * A deployed file, decoded when it is first read: a start decodes none of them (most functions
 * that import fs read few of their files, or none).
 */
function bundleFile(base64: string): Node {
  const node = mk('file');
  let bytes: Uint8Array | null = null;
  Object.defineProperty(node, 'data', {
    get: () => (bytes ??= Buffer.from(base64, 'base64')),
    set: (data: Uint8Array) => {
      bytes = data;
    },
    enumerable: true,
  });
  return node;
}
addBundleFiles(bundled);

export class FsError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  readonly path: string;
  constructor(code: string, errno: number, what: string, syscall: string, path: string, extra = '') {
    super(`${code}: ${what}, ${syscall} '${path}'${extra}`);
    this.code = code;
    this.errno = -errno;
    this.syscall = syscall;
    this.path = path;
  }
}

export const enoent = (syscall: string, path: string) => new FsError('ENOENT', 2, 'no such file or directory', syscall, path);
export const eexist = (syscall: string, path: string) => new FsError('EEXIST', 17, 'file already exists', syscall, path);
export const enotdir = (syscall: string, path: string) => new FsError('ENOTDIR', 20, 'not a directory', syscall, path);
export const eisdir = (syscall: string, path: string) => new FsError('EISDIR', 21, 'illegal operation on a directory', syscall, path);
export const enotempty = (syscall: string, path: string) => new FsError('ENOTEMPTY', 39, 'directory not empty', syscall, path);
export const eacces = (syscall: string, path: string) => new FsError('EACCES', 13, 'permission denied', syscall, path, ` (${RULE})`);
export const erofs = (syscall: string, path: string) => new FsError('EROFS', 30, 'read-only file system', syscall, path, ` (${RULE})`);

/** An absolute, normalised path from what the caller gave (string, Buffer or file: URL). */
export function toPath(p: unknown): string {
  let s: string;
  if (typeof p === 'string') s = p;
  else if (p instanceof URL) {
    if (p.protocol !== 'file:') throw new TypeError('The URL must be of scheme file');
    s = decodeURIComponent(p.pathname);
  } else if (p instanceof Uint8Array) s = new TextDecoder().decode(p);
  else throw new TypeError('The "path" argument must be of type string or an instance of Buffer or URL');
  if (s.includes('\0')) throw new TypeError('The "path" argument must not contain null bytes');
  const out: string[] = [];
  for (const part of (s.startsWith('/') ? s : '/' + s).split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}

function area(path: string): 'tmp' | 'bundle' | 'root' | 'none' {
  if (path === '/') return 'root';
  if (path === '/tmp' || path.startsWith('/tmp/')) return 'tmp';
  if (path === '/bundle' || path.startsWith('/bundle/')) return 'bundle';
  return 'none';
}

export function parentOf(path: string): string {
  const at = path.lastIndexOf('/');
  return at <= 0 ? '/' : path.slice(0, at);
}

/** The node at a path one may read, or the error why not. */
export function lookup(syscall: string, path: string): Node {
  if (area(path) === 'none') throw eacces(syscall, path);
  const node = tree.get(path);
  if (node === undefined) {
    if (!tree.has(parentOf(path)) && area(parentOf(path)) !== 'none') {
      const parent = tree.get(parentOf(path));
      if (parent?.kind === 'file') throw enotdir(syscall, path);
    }
    throw enoent(syscall, path);
  }
  return node;
}

export function find(path: string): Node | undefined {
  return area(path) === 'none' ? undefined : tree.get(path);
}

/** Checks that a path may be written (under /tmp, not /tmp itself unless asked). */
export function writable(syscall: string, path: string, allowTmpRoot = false): void {
  const a = area(path);
  if (a === 'bundle' || a === 'root') throw erofs(syscall, path);
  if (a === 'none') throw eacces(syscall, path);
  if (path === '/tmp' && !allowTmpRoot) throw erofs(syscall, path);
  const parent = tree.get(parentOf(path));
  if (parent === undefined) throw enoent(syscall, path);
  if (parent.kind !== 'dir') throw enotdir(syscall, path);
}

export function put(path: string, node: Node): void {
  tree.set(path, node);
}

export function remove(path: string): void {
  for (const key of [...tree.keys()]) if (key === path || key.startsWith(path + '/')) tree.delete(key);
}

export function children(path: string): string[] {
  const prefix = path === '/' ? '/' : path + '/';
  const names: string[] = [];
  for (const key of tree.keys()) {
    if (key.startsWith(prefix) && key !== path && !key.slice(prefix.length).includes('/')) names.push(key.slice(prefix.length));
  }
  return names.sort();
}

export function rename(from: string, to: string): void {
  for (const [key, node] of [...tree]) {
    if (key === from || key.startsWith(from + '/')) {
      tree.delete(key);
      tree.set(to + key.slice(from.length), node);
    }
  }
}

export { mk as makeNode };
