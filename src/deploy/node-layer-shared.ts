/**
 * The shared Node layer: all of the layer's modules, bundled once into one script that a
 * spare isolate compiles and evaluates while it waits (spares.ts, kind `node`),
 * before any function owns it. Each spare evaluates its own copy; nothing of a function is in
 * it until an instance takes the spare and calls the script's completion value, `bind(env,
 * host call, pool door)`, which gives the layer the function's env and host doors, leaves a
 * one-shot `__nimbus_node_files` for the function's bundle to hand over its /bundle files
 * (its first statement), and returns the function that delivers socket events.
 *
 * A function bundled against it (bundle.ts) imports the layer's modules from the registry the
 * script leaves under `Symbol.for('nimbus.node.layer')` instead of carrying a copy; its mark
 * names the layer's kind and LAYER_CONTRACT (node-env.ts). The layer a platform holds may be a later one
 * than the bundle was built against (a platform upgraded since the deploy, a CLI of another
 * version): what they share is the contract (the registry's module names and their export
 * names, `bind` and the files call), not the code, so fixes to the layer reach functions
 * deployed before. Bump LAYER_CONTRACT when that changes incompatibly (an export removed or
 * renamed, `bind` changed): a start then refuses the older bundles (deploy them again).
 *
 * It comes in two kinds. `node` has no async_hooks: importing it patches Promise.prototype.then
 * and the timers of the whole isolate. `node-async` has it, and its async functions lowered to
 * generators, as a function that imports async_hooks has its own (so AsyncLocalStorage follows
 * each `await`); such functions take spares of that kind. Each also comes in two smaller tiers:
 * every instance holds the whole layer it was started on, its code compiled, so a function is
 * built against the smallest tier that holds what it imports. `-core` leaves out the modules
 * most functions never import (EXTRA_MODULES); `-crypto` is the core with crypto and zlib
 * (CRYPTO_TIER_MODULES), for the many packages that need only those (token signing, hashing,
 * compression), so that they do not hold the sockets' and the rest's code as well.
 */
import type { BuildOptions } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SHARED_FILES_CALL } from '../runtime/isolate/node-env.ts';
import { shortenLocalNames } from '../runtime/isolate/short-names.ts';
import { EDGE_BUILD, nodeLayerDir, nodeLayerOptions, nodeLayerPlugin, PROVIDED, PROVIDED_OTHER } from './node-layer.ts';

export type LayerKind = 'node' | 'node-async' | 'node-core' | 'node-async-core' | 'node-crypto' | 'node-async-crypto';
export const LAYER_KINDS: readonly LayerKind[] = ['node', 'node-async', 'node-core', 'node-async-core', 'node-crypto', 'node-async-crypto'];
/** How much of the layer a kind holds: the core, the core with crypto and zlib, or all of it. */
export type LayerTier = 'core' | 'crypto' | 'whole';

/**
 * Built-ins the `-core` kinds leave out: their code is a sizeable part of the layer and few
 * functions import them. (punycode, querystring and timers stay: url and the injected
 * `setImmediate` use them.)
 */
export const EXTRA_MODULES: ReadonlySet<string> = new Set([
  'crypto', 'zlib', 'net', 'tls', 'dns', 'dns/promises', 'cloudflare:sockets', 'perf_hooks', 'diagnostics_channel', 'os', 'stream/web',
]);

/** The extra modules the `-crypto` kinds hold besides the core: their code is small beside the sockets' and the others'. */
export const CRYPTO_TIER_MODULES: ReadonlySet<string> = new Set(['crypto', 'zlib']);

/** Whether a kind has async_hooks, and its async functions lowered. */
export function asyncKind(kind: LayerKind): boolean {
  return kind.startsWith('node-async');
}

/** How much of the layer a kind holds. */
export function tierOf(kind: LayerKind): LayerTier {
  return kind.endsWith('-core') ? 'core' : kind.endsWith('-crypto') ? 'crypto' : 'whole';
}

/** The kind of the given tier, with async_hooks or not. */
export function kindOf(asyncContext: boolean, tier: LayerTier): LayerKind {
  const base = asyncContext ? 'node-async' : 'node';
  return tier === 'whole' ? base : `${base}-${tier}`;
}

/** The kind of layer a function is built against: with async_hooks or not, and the smallest tier that holds every built-in it imports. */
export function layerKindFor(asyncContext: boolean, names: Iterable<string>): LayerKind {
  const extra = [...names].filter((n) => EXTRA_MODULES.has(n));
  const tier: LayerTier = extra.length === 0 ? 'core' : extra.every((n) => CRYPTO_TIER_MODULES.has(n)) ? 'crypto' : 'whole';
  return kindOf(asyncContext, tier);
}

/** Whether a kind's layer holds a built-in (one the whole layer of its kind holds). */
function tierHolds(tier: LayerTier, name: string): boolean {
  return tier === 'whole' || !EXTRA_MODULES.has(name) || (tier === 'crypto' && CRYPTO_TIER_MODULES.has(name));
}

/** Where async functions are lowered to generators, so the layer's AsyncLocalStorage can follow each `await`. */
export const LOWERED_ASYNC: BuildOptions['supported'] = { 'async-await': false, 'async-generator': false, 'for-await': false };

const ALL: Readonly<Record<string, string>> = Object.freeze({ ...PROVIDED, ...PROVIDED_OTHER });

/** Built-in name → its file, for the modules a kind of shared layer holds. */
export function sharedModules(kind: LayerKind): Readonly<Record<string, string>> {
  return MODULES[kind];
}
const only = (keep: (name: string) => boolean): Readonly<Record<string, string>> => Object.freeze(Object.fromEntries(Object.entries(ALL).filter(([name]) => keep(name))));
const MODULES = Object.fromEntries(
  LAYER_KINDS.map((kind) => [kind, only((name) => (asyncKind(kind) || name !== 'async_hooks') && tierHolds(tierOf(kind), name))]),
) as Readonly<Record<LayerKind, Readonly<Record<string, string>>>>;

export const LAYER_REGISTRY = 'nimbus.node.layer';
export const LAYER_FILENAME = 'nimbus:node-layer.js';
const LAYER_GLOBAL = '__nimbus_layer';

export interface SharedLayer {
  /** A script whose completion value is `bind`. */
  readonly code: string;
  /** Names this layer's code (its code cache is kept by it). */
  readonly hash: string;
}

const BASE: BuildOptions = {
  ...EDGE_BUILD,
  // ASCII only (other characters as escapes): each isolate's copy of the source is then a
  // one-byte string, half the memory of the two-byte one a single other character makes
  charset: 'ascii',
  // every spare of these kinds holds the source: whitespace and syntax minified here, local
  // names shortened after (short-names.ts), as the shim is
  minifyWhitespace: true,
  minifySyntax: true,
};

/**
 * The layer's entry. Each module's registry entry is a frozen object of its exports' values,
 * imported by name: an `import * as` namespace would make esbuild give every export a getter
 * of its own (a compiled function and an accessor per export, several hundred in all, in every
 * isolate that holds the layer). Values are enough: a function's bundle copies them when it
 * imports the module (registryModule), and no module of the layer reassigns an export.
 */
function entrySource(dir: string, kind: LayerKind, exported: ReadonlyMap<string, readonly string[]>): string {
  const modules = sharedModules(kind);
  const files = [...new Set(Object.values(modules))];
  const ids = new Map(files.map((f, i) => [f, `m${i}`]));
  const namesOf = (f: string): readonly string[] => {
    const names = exported.get(f);
    if (names === undefined) throw new Error(`no export names for the Node layer's ${f}`);
    return names;
  };
  const imports = files.map((f) => `import { ${namesOf(f).map((n, i) => `${JSON.stringify(n)} as ${ids.get(f)}_${i}`).join(', ')} } from ${JSON.stringify(join(dir, f))};`);
  const objects = files.map((f) => `const ${ids.get(f)} = Object.freeze({ ${namesOf(f).map((n, i) => `${JSON.stringify(n)}: ${ids.get(f)}_${i}`).join(', ')} });`);
  return `${imports.join('\n')}
${objects.join('\n')}
import { bindEnv } from ${JSON.stringify(join(dir, 'process.ts'))};
import { bindHost } from ${JSON.stringify(join(dir, 'host.ts'))};
import { addBundleFiles } from ${JSON.stringify(join(dir, 'vfs.ts'))};
const layer = Object.freeze({ ${Object.entries(modules).map(([name, f]) => `${JSON.stringify(name)}: ${ids.get(f)}`).join(', ')} });
Object.defineProperty(globalThis, Symbol.for(${JSON.stringify(LAYER_REGISTRY)}), { value: layer });
let bound = false;
export function bind(env, call, pool) {
  if (bound) throw new Error('the Node layer is bound already');
  bound = true;
  bindEnv(env);
  bindHost(call, pool);
  Object.defineProperty(globalThis, '${SHARED_FILES_CALL}', {
    value: (files) => {
      delete globalThis.${SHARED_FILES_CALL};
      addBundleFiles(files);
    },
    configurable: true, writable: true, enumerable: false,
  });
  return (id, event, data) => {
    const on = globalThis[Symbol.for('nimbus.node.sockets')];
    if (typeof on === 'function') on(id, event, data);
  };
}
`;
}

/** The layer's modules with no function's files, env or doors in them. */
function layerBuild(extra: BuildOptions): BuildOptions {
  return {
    ...BASE,
    ...nodeLayerOptions(),
    plugins: [nodeLayerPlugin({ asyncContext: false }, null, () => ({}))],
    ...extra,
  };
}

const layerPending = new Map<LayerKind, Promise<SharedLayer>>();

/** Where a build (`npm run build`) leaves the bundled layer: beside the module that reads it. */
export function prebuiltName(kind: LayerKind): string {
  const tier = tierOf(kind);
  return `node-layer${asyncKind(kind) ? '-async' : ''}${tier === 'whole' ? '' : `-${tier}`}.js`;
}

/** The layer: as the build left it, else (run from source) bundled once per process. */
export function sharedLayer(kind: LayerKind): Promise<SharedLayer> {
  let pending = layerPending.get(kind);
  if (pending === undefined) {
    pending = readFile(new URL(`./${prebuiltName(kind)}`, import.meta.url), 'utf8')
      .catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
        return bundleSharedLayer(kind);
      })
      .then((code) => ({ code, hash: createHash('sha256').update(code).digest('hex').slice(0, 16) }))
      .catch((error: unknown) => {
        layerPending.delete(kind);
        throw error;
      });
    layerPending.set(kind, pending);
  }
  return pending;
}

/** Bundles the layer into the script `sharedLayer` gives (the build calls it too); `shortNames: false` leaves local names as written. */
export async function bundleSharedLayer(kind: LayerKind, options: { shortNames?: boolean } = {}): Promise<string> {
  const { build } = await import('esbuild');
  const dir = nodeLayerDir();
  const exported = await sharedExports();
  const result = await build(layerBuild({
    ...(asyncKind(kind) ? { supported: LOWERED_ASYNC } : {}),
    stdin: { contents: entrySource(dir, kind, exported), resolveDir: dir, sourcefile: 'node-layer-entry.js', loader: 'js' },
    format: 'iife',
    globalName: LAYER_GLOBAL,
  }));
  const file = result.outputFiles?.[0];
  if (file === undefined) throw new Error('esbuild produced no Node layer');
  const code = `(() => {\n${file.text}\nreturn ${LAYER_GLOBAL}.bind;\n})()`;
  return options.shortNames === false ? code : shortenLocalNames(code);
}

let exportsPending: Promise<ReadonlyMap<string, readonly string[]>> | null = null;

/** Each shared module's export names (by its file), which a bundle's imports of it re-export. */
export function sharedExports(): Promise<ReadonlyMap<string, readonly string[]>> {
  exportsPending ??= listExports().catch((error: unknown) => {
    exportsPending = null;
    throw error;
  });
  return exportsPending;
}

async function listExports(): Promise<ReadonlyMap<string, readonly string[]>> {
  const { build } = await import('esbuild');
  const dir = nodeLayerDir();
  const files = [...new Set(Object.values(ALL))];
  const result = await build(layerBuild({
    entryPoints: files.map((f) => join(dir, f)),
    absWorkingDir: dir,
    format: 'esm',
    outdir: join(dir, '.exports'),
    metafile: true,
  }));
  const names = new Map<string, readonly string[]>();
  for (const out of Object.values(result.metafile?.outputs ?? {})) {
    if (out.entryPoint === undefined) continue;
    names.set(out.entryPoint.replace(/^\.\//, ''), out.exports);
  }
  for (const f of files) if (!names.has(f)) throw new Error(`no export names for the Node layer's ${f}`);
  return names;
}

/** The module a function's import of a shared built-in becomes: the registry's namespace, re-exported by name. */
export function registryModule(name: string, names: readonly string[], required: boolean): string {
  const at = `globalThis[Symbol.for(${JSON.stringify(LAYER_REGISTRY)})][${JSON.stringify(name)}]`;
  // require() gets what Node's gives, the module's default export (see node-layer.ts)
  if (required) return `module.exports = ${at}.default;`;
  const own = names.filter((n) => n !== 'default');
  return `const m = ${at};
${names.includes('default') ? 'export default m.default;\n' : ''}${own.length > 0 ? `export const { ${own.join(', ')} } = m;\n` : ''}`;
}
