/**
 * The shared Node layer: all of the layer's modules but async_hooks, bundled once into one
 * script that a spare isolate compiles and evaluates while it waits (spares.ts, kind `node`),
 * before any function owns it. Each spare evaluates its own copy; nothing of a function is in
 * it until an instance takes the spare and calls the script's completion value, `bind(env,
 * host call, pool door)`, which gives the layer the function's env and host doors, leaves a
 * one-shot `__nimbus_node_files` for the function's bundle to hand over its /bundle files
 * (its first statement), and returns the function that delivers socket events.
 *
 * A function bundled against it (bundle.ts) imports the layer's modules from the registry the
 * script leaves under `Symbol.for('nimbus.node.layer')` instead of carrying a copy; its mark
 * names the layer's hash, so a bundle never runs against another layer than its own.
 *
 * async_hooks is not in it: importing it patches Promise.prototype.then and the timers of the
 * whole isolate, and a function that uses it has its async functions lowered to generators
 * (the layer's with them); such functions keep carrying their own layer.
 */
import type { BuildOptions } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nodeLayerDir, nodeLayerOptions, nodeLayerPlugin, PROVIDED, PROVIDED_OTHER } from './node-layer.ts';

/** Built-in name → its file, for the modules the shared layer holds. */
export const SHARED: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries([...Object.entries(PROVIDED), ...Object.entries(PROVIDED_OTHER)].filter(([name]) => name !== 'async_hooks')),
);

export const LAYER_REGISTRY = 'nimbus.node.layer';
export const LAYER_FILENAME = 'nimbus:node-layer.js';
const LAYER_GLOBAL = '__nimbus_layer';

export interface SharedLayer {
  /** A script whose completion value is `bind`. */
  readonly code: string;
  /** Names the layer: a bundle's mark carries it. */
  readonly hash: string;
}

const BASE: BuildOptions = {
  bundle: true,
  write: false,
  platform: 'browser',
  target: 'es2022',
  mainFields: ['browser', 'module', 'main'],
  conditions: ['workerd', 'worker', 'browser'],
  logLevel: 'silent',
  legalComments: 'none',
  charset: 'utf8',
};

function entrySource(dir: string): string {
  const files = [...new Set(Object.values(SHARED))];
  const ids = new Map(files.map((f, i) => [f, `m${i}`]));
  return `${files.map((f) => `import * as ${ids.get(f)} from ${JSON.stringify(join(dir, f))};`).join('\n')}
import { bindEnv } from ${JSON.stringify(join(dir, 'process.ts'))};
import { bindHost } from ${JSON.stringify(join(dir, 'host.ts'))};
import { addBundleFiles } from ${JSON.stringify(join(dir, 'vfs.ts'))};
const layer = Object.freeze({ ${Object.entries(SHARED).map(([name, f]) => `${JSON.stringify(name)}: ${ids.get(f)}`).join(', ')} });
Object.defineProperty(globalThis, Symbol.for(${JSON.stringify(LAYER_REGISTRY)}), { value: layer });
let bound = false;
export function bind(env, call, pool) {
  if (bound) throw new Error('the Node layer is bound already');
  bound = true;
  bindEnv(env);
  bindHost(call, pool);
  Object.defineProperty(globalThis, '__nimbus_node_files', {
    value: (files) => {
      delete globalThis.__nimbus_node_files;
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
function layerBuild(dir: string, extra: BuildOptions): BuildOptions {
  return {
    ...BASE,
    ...nodeLayerOptions(),
    plugins: [nodeLayerPlugin({ asyncContext: false }, null, () => ({}))],
    ...extra,
  };
}

let layerPending: Promise<SharedLayer> | null = null;

/** Where a build (`npm run build`) leaves the bundled layer: beside the module that reads it. */
const PREBUILT = new URL('./node-layer.js', import.meta.url);

/** The layer: as the build left it, else (run from source) bundled once per process. */
export function sharedLayer(): Promise<SharedLayer> {
  layerPending ??= readFile(PREBUILT, 'utf8')
    .catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      return bundleSharedLayer();
    })
    .then((code) => ({ code, hash: createHash('sha256').update(code).digest('hex').slice(0, 16) }))
    .catch((error: unknown) => {
      layerPending = null;
      throw error;
    });
  return layerPending;
}

/** Bundles the layer into the script `sharedLayer` gives (the build calls it too). */
export async function bundleSharedLayer(): Promise<string> {
  const { build } = await import('esbuild');
  const dir = nodeLayerDir();
  const result = await build(layerBuild(dir, {
    stdin: { contents: entrySource(dir), resolveDir: dir, sourcefile: 'node-layer-entry.js', loader: 'js' },
    format: 'iife',
    globalName: LAYER_GLOBAL,
  }));
  const file = result.outputFiles?.[0];
  if (file === undefined) throw new Error('esbuild produced no Node layer');
  return `(() => {\n${file.text}\nreturn ${LAYER_GLOBAL}.bind;\n})()`;
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
  const files = [...new Set(Object.values(SHARED))];
  const result = await build(layerBuild(dir, {
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
