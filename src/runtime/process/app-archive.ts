/**
 * An app's files as one stored text (the version's "code"): `{"nimbusApp":1,"files":
 * {path: base64}, "executable": [path]}` with paths sorted, so equal directories hash
 * equally. Checked at deploy (paths stay inside the app's directory) and unpacked once per
 * content hash into a directory of its own, outside the platform's data directory, and
 * removed once no stored version has that content and no instance runs from it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { NimbusError } from '../../core/errors.ts';

export interface AppFiles {
  /** Relative path ("/"-separated) → content, base64. */
  readonly files: Readonly<Record<string, string>>;
  /** Paths of files to unpack executable (a compiled binary, a script with a #! line). */
  readonly executable?: readonly string[];
}

/** `nameBytes`: the longest file or directory name Linux file systems take (NAME_MAX). */
export const APP_LIMITS = { files: 5000, pathChars: 512, nameBytes: 255 } as const;

function invalid(message: string, field = 'source.app'): NimbusError {
  return new NimbusError('NIMBUS_ERR_VALIDATION', message, { extra: { field } });
}

/** A path that stays inside the app's directory and can be written there: relative, no "." or ".." segments, no NUL or backslash, no name too long to create. */
export function checkAppPath(path: string): string {
  const segments = path.split('/');
  if (path === '' || path.length > APP_LIMITS.pathChars || /[\0\\]/.test(path) || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw invalid(`app file path ${JSON.stringify(path.slice(0, 100))} must be relative, "/"-separated, without "." or ".." segments (at most ${APP_LIMITS.pathChars} characters)`);
  }
  const long = segments.find((s) => Buffer.byteLength(s) > APP_LIMITS.nameBytes);
  if (long !== undefined) {
    throw invalid(`app file path ${JSON.stringify(path.slice(0, 100))} has a name of ${Buffer.byteLength(long)} bytes; a file or directory name may have at most ${APP_LIMITS.nameBytes}`);
  }
  return path;
}

/** The canonical stored text of an app's files (validated). */
export function packApp(input: unknown): string {
  const { files, executable } = canonicalFiles(input, 'source.app', 'an app needs at least its start script');
  return JSON.stringify({ nimbusApp: 1, files, executable });
}

/** Files sent as `{files, executable}` under `field`, checked, with paths and executable sorted. */
export function canonicalFiles(input: unknown, field: string, emptyWhy: string): { files: Record<string, string>; executable: string[] } {
  const bad = (message: string) => invalid(message, field);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw bad(`${field} must be an object with "files"`);
  const { files, executable } = input as { files?: unknown; executable?: unknown };
  if (typeof files !== 'object' || files === null || Array.isArray(files)) throw bad(`${field}.files must be an object of path → base64 content`);
  const paths = Object.keys(files).sort();
  if (paths.length === 0) throw bad(`${field}.files is empty: ${emptyWhy}`);
  if (paths.length > APP_LIMITS.files) throw bad(`${field}.files has ${paths.length} files; the limit is ${APP_LIMITS.files}`);
  const out: Record<string, string> = {};
  for (const p of paths) {
    const content = (files as Record<string, unknown>)[p];
    if (typeof content !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(content)) throw bad(`${field}.files[${JSON.stringify(p.slice(0, 100))}] must be base64`);
    out[checkAppPath(p)] = content;
  }
  const exec = executable === undefined ? [] : executable;
  if (!Array.isArray(exec) || exec.some((p) => typeof p !== 'string' || !(p in out))) throw bad(`${field}.executable must list paths that are in ${field}.files`);
  // Claimed paths that also are directories of other paths ("a" and "a/b") cannot both be unpacked.
  const dirs = new Set<string>();
  for (const p of paths) for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) dirs.add(p.slice(0, i));
  for (const p of paths) if (dirs.has(p)) throw bad(`${field}.files has both a file and a directory at ${JSON.stringify(p)}`);
  return { files: out, executable: [...new Set(exec as string[])].sort() };
}

export function isAppPack(code: string): boolean {
  return code.startsWith('{"nimbusApp":1,');
}

function unpackText(code: string): AppFiles {
  if (!isAppPack(code)) throw new NimbusError('NIMBUS_ERR_INVALID_FUNCTION', 'this version has no app files (it was deployed as a function bundle); deploy a directory with --runtime app');
  return JSON.parse(code) as AppFiles;
}

/**
 * Unpacks the app into `root/<hash>` unless it is there already (written aside, then
 * renamed into place, so a reader never sees half a directory). Returns the directory.
 */
export function materialiseApp(code: string, root: string): string {
  const name = appDirName(createHash('sha256').update(code).digest('hex'));
  return materialiseFiles(name, () => unpackText(code), root);
}

/** Unpacks `files()` into `root/<name>` unless it is there already (see materialiseApp). */
export function materialiseFiles(name: string, files: () => AppFiles, root: string): string {
  const dir = join(root, name);
  if (existsSync(dir)) return dir;
  const app = files();
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const scratch = join(root, `.tmp-${name}-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(scratch, { mode: 0o755 });
    const executable = new Set(app.executable ?? []);
    for (const [path, content] of Object.entries(app.files)) {
      const file = join(scratch, checkAppPath(path));
      mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
      writeFileSync(file, Buffer.from(content, 'base64'), { mode: 0o644 });
      if (executable.has(path)) chmodSync(file, 0o755);
    }
    try {
      renameSync(scratch, dir);
    } catch (error) {
      // Another start unpacked the same content first: theirs serves.
      if (!existsSync(dir)) throw error;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return dir;
}

/** The directory (under the apps root) of an app whose code has this SHA-256 (hex): a version's codeHash. */
export function appDirName(codeHash: string): string {
  return codeHash.slice(0, 32);
}

/**
 * Removes the unpacked apps under `root` whose directory name is not in `keep` (names that
 * start with a dot are not apps' and are left). Returns the names removed.
 */
export function removeAppDirs(root: string, keep: ReadonlySet<string>): string[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    // Dot names are not unpacked apps: scratch directories of a start in progress (`.tmp-…`), the node runtime's packages (`.node-packages`).
    if (keep.has(name) || name.startsWith('.')) continue;
    rmSync(join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * `<tmp>/nimbus-apps/<data directory's hash>`, where apps are unpacked unless --apps-dir
 * says otherwise: each platform on the host unpacks (and removes) its own, never another's.
 */
export function defaultAppsDir(dataDir: string): string {
  return join(tmpdir(), 'nimbus-apps', createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 16));
}
