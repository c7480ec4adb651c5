/**
 * Packages a node-runtime bundle cannot hold: those with a native addon (a compiled `.node`
 * file, a `binding.gyp`, `"gypfile": true`) and those that find a file by a path computed at
 * run time (they depend on `bindings`, `node-gyp-build`, `prebuild-install`, `node-pre-gyp`).
 * A package whose installed optional dependency has an addon (the build for this platform, as
 * sharp's) is one too. The bundle keeps `require('<package>')` for them (esbuild `external`), and their
 * directories, with the packages they depend on, are shipped beside it as files under
 * `node_modules/` (docs/apps.md, "Native addons"). Files only a build needs (C/C++ sources,
 * object files, makefiles, build intermediates) are left out.
 */
import type { Plugin } from 'esbuild';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { NimbusError } from '../core/errors.ts';
import { packageRootOf } from './node-layer.ts';
import { packageNamed } from './node-build.ts';

/** A package shipped as files, and why. */
export interface ShippedPackage {
  readonly name: string;
  readonly version: string;
  /** Why it is not bundled; for a dependency of one that is, whose dependency it is. */
  readonly why: string;
  /** Bytes of its files as shipped. */
  readonly bytes: number;
}

/** What goes beside the bundle: files under `node_modules/` (base64), the executable ones, and the packages. */
export interface ShippedFiles {
  readonly files: Record<string, string>;
  readonly executable: string[];
  readonly packages: ShippedPackage[];
  readonly bytes: number;
}

/** Packages that load a file by a path computed at run time: a package depending on one is shipped as files. */
const RUNTIME_LOADERS = ['bindings', 'node-gyp-build', 'node-gyp-build-optional-packages', 'prebuild-install', 'node-pre-gyp', '@mapbox/node-pre-gyp'];

/** Files only a native build needs, by name ending. */
const BUILD_ONLY = /\.(?:c|cc|cpp|cxx|h|hh|hpp|hxx|o|obj|a|lib|gyp|gypi|mk|d|stamp|ar-file-list)$/i;
/** Directories only a native build (or its tests and docs) needs: node-gyp's intermediates. */
const BUILD_ONLY_DIRS = new Set(['obj.target', 'obj', '.deps', 'node_modules', '.git', '.github']);

interface PackageJson {
  name?: string;
  version?: string;
  gypfile?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

function readPackageJson(dir: string): PackageJson {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
  } catch {
    return {};
  }
}

/** The first `.node` file of a package (not in its node_modules), relative to it; null when none. */
function firstAddon(dir: string): string | null {
  const walk = (at: string, depth: number): string | null => {
    if (depth > 8) return null;
    let entries;
    try {
      entries = readdirSync(at, { withFileTypes: true });
    } catch {
      return null;
    }
    for (const e of entries) if (e.isFile() && e.name.endsWith('.node')) return relative(dir, join(at, e.name)).split(sep).join('/');
    for (const e of entries) {
      if (!e.isDirectory() || e.name === 'node_modules' || e.name === '.git') continue;
      const found = walk(join(at, e.name), depth + 1);
      if (found !== null) return found;
    }
    return null;
  };
  return walk(dir, 0);
}

/** Why the package in `dir` cannot be bundled, or null when it can. */
export function nativeReason(dir: string): string | null {
  const pkg = readPackageJson(dir);
  const addon = firstAddon(dir);
  if (addon !== null) return `native addon ${addon}`;
  if (existsSync(join(dir, 'binding.gyp')) || pkg.gypfile === true) return 'native addon (binding.gyp), not built';
  const loader = RUNTIME_LOADERS.find((name) => pkg.dependencies?.[name] !== undefined);
  if (loader !== undefined) return `loads a file by a path computed at run time (${loader})`;
  // The addon for this platform in a package of its own, chosen at run time (sharp's @img/sharp-linux-x64).
  for (const name of Object.keys(pkg.optionalDependencies ?? {}).sort()) {
    const dep = dependencyDir(name, dir);
    const file = dep === null ? null : firstAddon(dep);
    if (file !== null) return `loads the native addon of its optional dependency ${name} (${file})`;
  }
  return null;
}

const RESOLVING = Symbol('nimbus-native-packages');

/**
 * The directory of package `name` that `file` (its import, resolved) is in: the nearest one
 * above it whose package.json has that name (a linked package's real directory is not in a
 * node_modules), else by its path in node_modules.
 */
function packageDirOf(file: string, name: string): string | null {
  for (let at = dirname(file); dirname(at) !== at; at = dirname(at)) {
    if (existsSync(join(at, 'package.json')) && readPackageJson(at).name === name) return at;
    if (at.endsWith(`${sep}node_modules`)) break;
  }
  return packageRootOf(file);
}

/**
 * Marks every import of a package that cannot be bundled as external (kept as `require`),
 * and notes its directory in `found` (name → real directory and why). Its own files are not
 * bundled, so the packages only it imports are not either: they are shipped with it.
 */
export function nativePackagesPlugin(found: Map<string, { dir: string; why: string }>): Plugin {
  const verdicts = new Map<string, string | null>();
  return {
    name: 'nimbus-native-packages',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === RESOLVING || args.namespace !== 'file' || isBuiltin(args.path)) return undefined;
        const name = packageNamed(args.path);
        if (name === null) return undefined;
        const resolved = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: RESOLVING, with: args.with });
        if (resolved.errors.length > 0 || resolved.external || resolved.namespace !== 'file') return resolved;
        const root = packageDirOf(resolved.path, name);
        if (root === null) return resolved;
        if (!verdicts.has(root)) verdicts.set(root, nativeReason(root));
        const why = verdicts.get(root) ?? null;
        if (why === null) return resolved;
        const seen = found.get(name);
        if (seen !== undefined && seen.dir !== root) {
          return { errors: [{ text: `two copies of "${name}" (${seen.dir} and ${root}) are imported, and it has a native addon: only one can be shipped beside the bundle; dedupe them (npm dedupe)` }] };
        }
        found.set(name, { dir: root, why });
        return { path: args.path, external: true };
      });
    },
  };
}

/**
 * Whether a tree's files (their paths) may hold a package that must be shipped as files: a
 * `.node` file, a `binding.gyp`, or a loader of files by computed paths, under node_modules/.
 * A cheap first look: the build (nativePackagesPlugin) decides which packages, if any.
 */
export function mayHoldNativePackages(paths: Iterable<string>): boolean {
  const loaders = RUNTIME_LOADERS.map((name) => `node_modules/${name}/package.json`);
  for (const path of paths) {
    if (!path.includes('node_modules/')) continue;
    if (path.endsWith('.node') || path.endsWith('/binding.gyp')) return true;
    if (loaders.some((l) => path === l || path.endsWith('/' + l))) return true;
  }
  return false;
}

/** The files of one package as shipped (see BUILD_ONLY), under `prefix`; returns its bytes. */
function addPackageFiles(dir: string, prefix: string, out: ShippedFiles & { bytes: number }): number {
  let bytes = 0;
  const walk = (at: string) => {
    for (const e of readdirSync(at, { withFileTypes: true })) {
      const full = join(at, e.name);
      const st = statSync(full, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) {
        if (!BUILD_ONLY_DIRS.has(e.name)) walk(full);
      } else if (st.isFile() && !BUILD_ONLY.test(e.name) && !/(?:^|\.)Makefile$/.test(e.name)) {
        const path = `${prefix}/${relative(dir, full).split(sep).join('/')}`;
        const content = readFileSync(full);
        out.files[path] = content.toString('base64');
        if (st.mode & 0o111) out.executable.push(path);
        bytes += content.byteLength;
      }
    }
  };
  walk(dir);
  return bytes;
}

/** The directory of `name` as Node resolves it from the package in `from`, or null when it is not installed. */
function dependencyDir(name: string, from: string): string | null {
  try {
    return realpathSync(dirname(createRequire(join(from, 'package.json')).resolve(`${name}/package.json`)));
  } catch {
    // A package whose exports do not list package.json: look for its directory as Node would.
    for (let at = from; ; at = dirname(at)) {
      const candidate = join(at, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
      if (dirname(at) === at) return null;
    }
  }
}

/**
 * The files of the packages `found` names and of the packages they depend on (dependencies
 * and installed optional dependencies), laid out so Node finds each from the one that needs
 * it: the packages found at `node_modules/<name>`; a dependency installed inside the package
 * that needs it stays inside it, any other at `node_modules/<name>`.
 */
export function shippedFiles(found: ReadonlyMap<string, { dir: string; why: string }>, within?: string): ShippedFiles {
  const out = { files: {} as Record<string, string>, executable: [] as string[], packages: [] as ShippedPackage[], bytes: 0 };
  /** Real directory → where it is shipped. */
  const placed = new Map<string, string>();
  /** Shipped top-level name → real directory. */
  const topLevel = new Map<string, string>();
  const ship = (name: string, dir: string, at: string, why: string) => {
    placed.set(dir, at);
    const pkg = readPackageJson(dir);
    const bytes = addPackageFiles(dir, at, out);
    out.bytes += bytes;
    out.packages.push({ name, version: pkg.version ?? '', why, bytes });
    const deps = { ...pkg.optionalDependencies, ...pkg.dependencies };
    for (const dep of Object.keys(deps).sort()) {
      const found = dependencyDir(dep, dir);
      // a tree sent over an API ships only its own files: a package Node would find outside it is not there
      const depDir = found !== null && within !== undefined && !found.startsWith(within + sep) ? null : found;
      if (depDir === null) {
        if (pkg.dependencies?.[dep] !== undefined) {
          throw new NimbusError('NIMBUS_ERR_BUILD_FAILED', within === undefined ? `${name} depends on ${dep}, which is not installed (run npm install)` : `${name} depends on ${dep}, which is not in the files sent (send node_modules/ as npm install lays it out)`);
        }
        continue;
      }
      if (placed.has(depDir)) continue;
      const nested = depDir.startsWith(dir + sep);
      const depAt = nested ? `${at}/${relative(dir, depDir).split(sep).join('/')}` : `node_modules/${dep}`;
      if (!nested) {
        const other = topLevel.get(dep);
        if (other !== undefined && other !== depDir) throw new NimbusError('NIMBUS_ERR_BUILD_FAILED', `two copies of ${dep} (${other} and ${depDir}) are needed by the packages shipped as files; dedupe them (npm dedupe)`);
        topLevel.set(dep, depDir);
      }
      ship(dep, depDir, depAt, `a dependency of ${name}`);
    }
  };
  for (const [name, { dir, why }] of [...found].sort(([a], [b]) => a.localeCompare(b))) {
    const other = topLevel.get(name);
    if (other !== undefined && other !== dir) throw new NimbusError('NIMBUS_ERR_BUILD_FAILED', `two copies of ${name} (${other} and ${dir}) are needed by the packages shipped as files; dedupe them (npm dedupe)`);
    topLevel.set(name, dir);
    if (!placed.has(dir)) ship(name, dir, `node_modules/${name}`, why);
  }
  return out;
}
