/**
 * Deploy-time bundling with esbuild: one self-contained script per version, so that
 * starting an instance is only compile-and-run. The output is an IIFE that assigns
 * the module's exports to `globalThis.__nimbus_module` (the isolate runtime reads it).
 */
// esbuild is loaded with the first bundle, not at the platform's start.
import type { BuildOptions, BuildResult, Message, Plugin } from 'esbuild';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve, sep } from 'node:path';
import { NimbusError } from '../core/errors.ts';
import { checkAppPath } from '../runtime/process/app-archive.ts';
import { SHARED_FILES_CALL, sharedLayerMark } from '../runtime/isolate/node-env.ts';
import { directoryFiles, EDGE_BUILD, layerInOutput, NODE_LAYER_MARK, nodeLayerDir, nodeLayerOptions, nodeLayerPlugin, sentFiles, webGlobalsNamed, type BundleFiles, type NodeLayerUse, type SharedLayerUse } from './node-layer.ts';
import { layerKindFor, LOWERED_ASYNC, registryModule, sharedExports, sharedModules } from './node-layer-shared.ts';
import { nodeBuildPlugin, NodeResolver } from './node-build.ts';
import { outcome, packagesIn, type NodeBuildChoice } from './node-build-choice.ts';
import { isBuildFailure, settleNodeBuilds } from './node-build-rounds.ts';
import { nativePackagesPlugin, shippedFiles, type ShippedFiles } from './native-packages.ts';

export const MODULE_GLOBAL = '__nimbus_module';

export interface BuildOutput {
  readonly code: string;
  /** Source map (v3 JSON, no sources content) from the bundle back to the files: errors' stacks are shown in source positions. */
  readonly sourceMap: string | null;
  readonly warnings: readonly string[];
  /** The packages bundled from their Node build, and why (node-build-choice.ts). */
  readonly nodeBuilds?: readonly NodeBuildChoice[];
  /** Node runtime: the packages kept out of the bundle (native addons) and shipped beside it as files (native-packages.ts). */
  readonly shipped?: ShippedFiles;
}

export interface BuildErrorDetail {
  readonly file: string | null;
  readonly line: number | null;
  readonly column: number | null;
  readonly text: string;
  readonly lineText: string | null;
}

const COMMON: BuildOptions = {
  ...EDGE_BUILD,
  format: 'iife',
  globalName: MODULE_GLOBAL,
  charset: 'utf8',
  // A map beside the code (not linked from it: the code is the same with or without one).
  sourcemap: 'external',
  sourcesContent: false,
  outfile: 'bundle.js',
};

/** `node`: for the node runtime, Node's built-ins stay require() calls the process answers. */
export type BundleTarget = 'isolate' | 'node';
const FOR_NODE: BuildOptions = { platform: 'node', conditions: ['node', 'import', 'default'], mainFields: ['module', 'main'] };

/** The node runtime's build: all of Node is there, so no layer. */
async function buildForNode(options: BuildOptions, plugins: Plugin[]): Promise<BuildOutput> {
  const { build } = await import('esbuild');
  try {
    return output(await build({ ...COMMON, ...FOR_NODE, ...options, plugins }), false);
  } catch (error) {
    throw buildError(error);
  }
}


/**
 * One build with the Node layer (node-layer.ts), the packages whose browser build fails taken
 * from their Node build where that works (node-build-rounds.ts: a build more per change);
 * built again with async functions lowered when the code imports async_hooks. A bundle that
 * uses the layer ends with its mark.
 */
async function buildWithLayer(options: BuildOptions, plugins: Plugin[], root: string | null, files: BundleFiles, onSharedLayer: boolean, nodeBuild: readonly string[] = []): Promise<BuildOutput> {
  const { build } = await import('esbuild');
  const cwd = options.absWorkingDir ?? process.cwd();
  const layer = nodeLayerOptions();
  const resolver = new NodeResolver();
  try {
    const settled = await settleNodeBuilds(build, nodeBuild, cwd, (nodeBuilds) => {
      const use: NodeLayerUse = { asyncContext: false, nodeBuilds, absent: new Map() };
      const after = nodeBuilds.size > 0 ? [...plugins, nodeBuildPlugin(new Set(nodeBuilds.keys()), resolver)] : plugins;
      return { use, plugins: after, options: { ...COMMON, ...options, ...layer, metafile: true, plugins: [nodeLayerPlugin(use, root, files), ...after] } };
    });
    if (settled.kind === 'failed') throw withNotes(buildError(settled.failure), settled.notes);
    const chosen = outcome(settled.state, packagesIn(settled.result.metafile ?? { inputs: {}, outputs: {} }));
    const built = await finishWithLayer(build, settled.result, settled.options, settled.use, cwd, root, files, settled.plugins, onSharedLayer);
    return chosen.choices.length === 0 && chosen.warnings.length === 0 ? built : { ...built, warnings: [...built.warnings, ...chosen.warnings], nodeBuilds: chosen.choices };
  } catch (error) {
    throw error instanceof NimbusError ? error : buildError(error);
  } finally {
    await resolver.dispose();
  }
}

/** A build's refusal with what the choice of Node builds found (why a package's Node build could not stand in). */
function withNotes(error: NimbusError, notes: readonly string[]): NimbusError {
  if (notes.length === 0) return error;
  return new NimbusError(error.code, `${error.message} (${notes.join('; ')})`, { extra: error.extra });
}

/**
 * The rest of a build with the layer, from its first result: built again when it imports
 * async_hooks (lowered), uses only the injected stubs (without them) or names web globals;
 * then against the shared layer when that saves enough. `plugins` are those after the layer's.
 */
async function finishWithLayer(build: typeof import('esbuild').build, first: BuildResult, full: BuildOptions, use: NodeLayerUse, cwd: string, root: string | null, files: BundleFiles, plugins: Plugin[], onSharedLayer: boolean): Promise<BuildOutput> {
  let result = first;
  const found = Object.values(result.metafile?.outputs ?? {}).map((o) => layerInOutput(o.inputs, cwd));
  const used = found.includes('modules');
  let again: BuildOptions | null = null;
  if (use.asyncContext) again = { ...full, supported: LOWERED_ASYNC };
  else if (!used && found.includes('stubs')) again = { ...full, inject: [] };
  const web = webGlobalsNamed(outputText(result));
  if (web.length > 0) again = { ...(again ?? full), inject: [...((again ?? full).inject ?? []), ...web] };
  if (again !== null) result = await build(again);
  const own = output(result, used);
  if (used && onSharedLayer) {
    const shared = await buildOnSharedLayer(again ?? full, root, files, plugins, use.asyncContext, use.nodeBuilds ?? new Map());
    if (own.code.length - shared.code.length >= SHARED_LAYER_FROM_BYTES) return strictWhenModule(shared, entryFormat(result));
  }
  return strictWhenModule(own, entryFormat(result));
}

/**
 * A function is built against the shared layer when the layer's modules would add at least
 * this much to its own bundle. Its start is then as short as hello's, but its instances hold
 * all of the layer: below this, carrying its few modules costs a start little and its
 * instances less memory (bench/README.md, "Spares that hold the Node layer", has the figures).
 */
const SHARED_LAYER_FROM_BYTES = 128 * 1024;

/**
 * The build of a function that uses the layer against the shared layer of its kind
 * (node-layer-shared.ts): its imports of built-ins read the layer a spare of that kind
 * already holds, its first statement hands the layer its /bundle files (when it imports fs),
 * and its mark names the layer's kind and contract. Built against the whole layer; the kind
 * is the smallest tier (`-core`, `-crypto`) that holds every built-in it imports (a bundle reads
 * the registry only for the built-ins it imports, so the code is the same).
 */
async function buildOnSharedLayer(options: BuildOptions, root: string | null, files: BundleFiles, plugins: Plugin[], asyncContext: boolean, nodeBuilds: ReadonlyMap<string, boolean>): Promise<BuildOutput> {
  const { build } = await import('esbuild');
  const names = await sharedExports();
  const use: NodeLayerUse = { asyncContext: false, names: new Set(), nodeBuilds };
  const modules = sharedModules(asyncContext ? 'node-async' : 'node');
  const shared: SharedLayerUse = { modules, load: (name, required) => registryModule(name, names.get(modules[name] ?? '') ?? [], required) };
  const result = await build({ ...options, plugins: [nodeLayerPlugin(use, root, files, shared), ...plugins] });
  const built = output(result, false);
  const given = use.names?.has('fs') === true || use.names?.has('fs/promises') === true ? files() : {};
  let sourceMap = built.sourceMap;
  if (sourceMap !== null) {
    const map = JSON.parse(sourceMap) as { mappings: string };
    sourceMap = JSON.stringify({ ...map, mappings: ';' + map.mappings });
  }
  const kind = layerKindFor(asyncContext, use.names ?? []);
  return { ...built, code: `${SHARED_FILES_CALL}(${JSON.stringify(given)});\n${built.code}${sharedLayerMark(kind)}`, sourceMap };
}

function outputText(result: BuildResult): string {
  return result.outputFiles?.find((f) => !f.path.endsWith('.map'))?.text ?? '';
}

function output(result: BuildResult, usesLayer: boolean): BuildOutput {
  const files = result.outputFiles ?? [];
  const file = files.find((f) => !f.path.endsWith('.map'));
  if (file === undefined) throw new NimbusError('NIMBUS_ERR_BUILD_FAILED', 'esbuild produced no output');
  const map = files.find((f) => f.path.endsWith('.map'));
  const code = usesLayer ? file.text + NODE_LAYER_MARK : file.text;
  return { code, sourceMap: map?.text ?? null, warnings: result.warnings.map(formatMessage) };
}

/** The module format esbuild found for the entry: `esm` when it uses import/export. */
function entryFormat(result: BuildResult): string | undefined {
  const entry = Object.values(result.metafile?.outputs ?? {}).find((o) => o.entryPoint !== undefined)?.entryPoint;
  return entry === undefined ? undefined : result.metafile?.inputs[entry]?.format;
}

/**
 * An ES module runs in strict mode, in Node as on Workers; esbuild's IIFE output does not
 * say so, and a classic script is sloppy: a write to a frozen object was silently ignored,
 * an assignment to an undeclared name made a global. A bundle whose entry is an ES module
 * starts with "use strict" (so all of it is strict, the CommonJS packages it bundles too, as
 * in wrangler's ES module output); a CommonJS entry stays sloppy, as in Node. The directive
 * has a line of its own: the source map gets one empty line in front.
 */
function strictWhenModule(out: BuildOutput, format: string | undefined): BuildOutput {
  if (format !== 'esm') return out;
  let sourceMap = out.sourceMap;
  if (sourceMap !== null) {
    const map = JSON.parse(sourceMap) as { mappings: string };
    sourceMap = JSON.stringify({ ...map, mappings: ';' + map.mappings });
  }
  return { ...out, code: '"use strict";\n' + out.code, sourceMap };
}

/**
 * `import mod from './x.wasm'` yields a WebAssembly.Module, as on Cloudflare Workers: the
 * bytes go into the bundle (base64) and are compiled when the module's top level runs.
 */
const wasmModules: Plugin = {
  name: 'nimbus-wasm-modules',
  setup(b) {
    b.onLoad({ filter: /\.wasm$/ }, (args) => ({
      contents:
        `const b = atob(${JSON.stringify(readFileSync(args.path).toString('base64'))});\n` +
        'const u = new Uint8Array(b.length);\n' +
        'for (let i = 0; i < b.length; i++) u[i] = b.charCodeAt(i);\n' +
        'export default new WebAssembly.Module(u);\n',
      loader: 'js',
    }));
  },
};

/**
 * `sharedLayer: false` bundles the layer's modules into the function as before spares held
 * the layer (benchmarks and tests of bundles deployed then); by default a function that uses
 * the layer is built against the shared one.
 */
export interface BundleOptions {
  readonly sharedLayer?: boolean;
  /** Packages to bundle from their Node build (node-build-choice.ts; nimbus.json `nodeBuild`). */
  readonly nodeBuild?: readonly string[];
}

/** Bundles a file, or a directory with an entry, resolving npm packages from its node_modules. */
export async function bundlePath(path: string, target: BundleTarget = 'isolate', confined = false, bundleOptions: BundleOptions = {}): Promise<BuildOutput> {
  const entry = resolveEntry(path);
  // File names in the source map (and so in stacks) are relative to the directory deployed.
  const root = statSync(resolve(path)).isDirectory() ? resolve(path) : dirname(entry);
  const options = { entryPoints: [entry], absWorkingDir: root };
  const plugins = confined ? [confinedTo(root, target), wasmModules] : [wasmModules];
  if (target === 'node') {
    // Packages with native addons stay require() calls; their files go beside the bundle
    // (confined: found and shipped from the tree only).
    const found = new Map<string, { dir: string; why: string }>();
    const built = await buildForNode(options, [nativePackagesPlugin(found), ...plugins]);
    return found.size === 0 ? built : { ...built, shipped: shippedFiles(found, confined ? root : undefined) };
  }
  return buildWithLayer(options, plugins, root, directoryFiles(root), bundleOptions.sharedLayer ?? true, bundleOptions.nodeBuild);
}

const CONFINED = Symbol('confined');

/**
 * Refuses any import, made by a file of the tree, that resolves outside `root` (other than to
 * the Node layer's own modules for built-ins): a tree sent over an API is bundled from a
 * directory so that its node_modules resolve as npm lays them out, but an import of
 * `/etc/passwd` or `../../x` must not put the host's files into the bundle. The layer's
 * own imports (of the platform's packages) are not the tree's and are not checked.
 */
function confinedTo(root: string, target: BundleTarget): Plugin {
  const inside = (path: string, dir: string) => path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
  const layer = target === 'isolate' ? nodeLayerDir() : null;
  return {
    name: 'nimbus-confined',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === CONFINED || args.namespace !== 'file') return undefined;
        if (args.kind !== 'entry-point' && !inside(args.importer, root)) return undefined;
        const found = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, namespace: args.namespace, pluginData: CONFINED, with: args.with });
        if (found.errors.length > 0 || found.external || found.namespace !== 'file') return found;
        if (inside(found.path, root) || (layer !== null && inside(found.path, layer))) return found;
        return { errors: [{ text: `cannot resolve "${args.path}": only the files sent (and their node_modules) are bundled` }] };
      });
    },
  };
}

/**
 * Bundles a tree of files sent over an API (a Lambda zip): written to a private temporary
 * directory and bundled from there, so `node_modules/` inside it resolves like a deployed
 * directory's, every file loaded checked to be inside it. Paths are checked as an app's are.
 */
export async function bundleTree(files: ReadonlyMap<string, Buffer>, entry: string, target: BundleTarget = 'isolate'): Promise<BuildOutput> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'nimbus-tree-')));
  try {
    for (const [name, data] of files) {
      const path = join(dir, ...checkAppPath(name).split('/'));
      try {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, data, { flag: 'wx' });
      } catch (error) {
        // A path that is both a file and a directory is the sender's to fix.
        const code = (error as { code?: string }).code;
        if (code !== 'EEXIST' && code !== 'ENOTDIR' && code !== 'EISDIR') throw error;
        throw new NimbusError('NIMBUS_ERR_VALIDATION', `the files sent cannot be laid out: ${JSON.stringify(name.slice(0, 100))} is both a file and a directory`);
      }
    }
    return await bundlePath(join(dir, ...checkAppPath(entry).split('/')), target, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Bundles source sent over the API: `files` maps relative paths to contents. Only
 * relative imports resolve; npm packages need a local bundle (the CLI makes one).
 */
export async function bundleSource(files: Readonly<Record<string, string>>, entry: string, target: BundleTarget = 'isolate', bundleOptions: BundleOptions = {}): Promise<BuildOutput> {
  const normalized = new Map<string, string>();
  for (const [name, contents] of Object.entries(files)) normalized.set(posix.normalize('/' + name), contents);
  const entryPath = posix.normalize('/' + entry);
  if (!normalized.has(entryPath)) {
    throw new NimbusError('NIMBUS_ERR_VALIDATION', `entry "${entry}" is not among the files sent`, {
      extra: { field: 'entry' },
    });
  }
  const virtualFiles: Plugin = {
    name: 'nimbus-virtual-files',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return args.path === entryPath ? { path: entryPath, namespace: 'src' } : undefined;
        // the Node layer's own files (and its injected globals) resolve from its directory, as usual
        if (args.namespace !== 'src') return undefined;
        if (!args.path.startsWith('.') && !args.path.startsWith('/')) {
          return {
            errors: [
              {
                text: `cannot resolve "${args.path}": packages are bundled by the CLI (nimbus deploy) from your node_modules, not by the server`,
              },
            ],
          };
        }
        const base = posix.dirname(args.importer);
        const target = posix.normalize(posix.join(base, args.path));
        for (const candidate of [target, ...['.ts', '.js', '.mjs', '.tsx', '.jsx', '/index.ts', '/index.js'].map((e) => target + e)]) {
          if (normalized.has(candidate)) return { path: candidate, namespace: 'src' };
        }
        return { errors: [{ text: `cannot resolve "${args.path}" from ${args.importer}` }] };
      });
      b.onLoad({ filter: /.*/, namespace: 'src' }, (args) => ({
        contents: normalized.get(args.path) ?? '',
        loader: loaderFor(args.path),
      }));
    },
  };
  if (target === 'node') return buildForNode({ entryPoints: [entryPath] }, [virtualFiles]);
  return buildWithLayer({ entryPoints: [entryPath] }, [virtualFiles], null, sentFiles(normalized), bundleOptions.sharedLayer ?? true);
}

function loaderFor(path: string): 'ts' | 'tsx' | 'js' | 'jsx' | 'json' {
  if (path.endsWith('.ts') || path.endsWith('.mts') || path.endsWith('.cts')) return 'ts';
  if (path.endsWith('.tsx')) return 'tsx';
  if (path.endsWith('.jsx')) return 'jsx';
  if (path.endsWith('.json')) return 'json';
  return 'js';
}

const ENTRY_CANDIDATES = ['index.ts', 'index.mts', 'index.js', 'index.mjs', 'src/index.ts', 'src/index.js'];

/** A file is its own entry; a directory's is package.json's module/main, else index.*. */
export function resolveEntry(path: string): string {
  const abs = resolve(path);
  if (!existsSync(abs)) {
    throw new NimbusError('NIMBUS_ERR_VALIDATION', `no file or directory at ${abs}`, { extra: { field: 'path' } });
  }
  if (statSync(abs).isFile()) return abs;
  const pkgPath = join(abs, 'package.json');
  if (existsSync(pkgPath)) {
    let pkg: { module?: unknown; main?: unknown };
    try {
      pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { module?: unknown; main?: unknown };
    } catch (error) {
      throw new NimbusError('NIMBUS_ERR_BUILD_FAILED', `${pkgPath} is not valid JSON: ${(error as Error).message}`);
    }
    for (const field of [pkg.module, pkg.main]) {
      if (typeof field === 'string' && existsSync(join(abs, field))) return join(abs, field);
    }
  }
  for (const candidate of ENTRY_CANDIDATES) {
    if (existsSync(join(abs, candidate))) return join(abs, candidate);
  }
  throw new NimbusError(
    'NIMBUS_ERR_VALIDATION',
    `no entry in ${abs}: add index.ts (or index.js), or set "main" in its package.json`,
    { extra: { field: 'path' } },
  );
}

function formatMessage(m: Message): string {
  const where = m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}: ` : '';
  return where + m.text;
}

function buildError(error: unknown): NimbusError {
  if (!isBuildFailure(error)) {
    return new NimbusError('NIMBUS_ERR_BUILD_FAILED', `bundling failed: ${(error as Error)?.message ?? String(error)}`);
  }
  const errors: BuildErrorDetail[] = error.errors.map((m) => ({
    file: m.location?.file.replace(/^src:\/?/, '') ?? null,
    line: m.location?.line ?? null,
    column: m.location ? m.location.column + 1 : null,
    text: m.text,
    lineText: m.location?.lineText ?? null,
  }));
  const first = error.errors[0];
  const detail = first ? formatMessage(first) : 'bundling failed';
  const refused = error.errors.find((m) => isRefusedBuiltin(m.detail));
  if (refused !== undefined) {
    const { module, importedBy } = refused.detail as { module: string; importedBy: string };
    return new NimbusError('NIMBUS_ERR_UNSUPPORTED_MODULE', formatMessage(refused), { extra: { module, importedBy, errors } });
  }
  return new NimbusError('NIMBUS_ERR_BUILD_FAILED', detail, { extra: { errors } });
}

function isRefusedBuiltin(detail: unknown): boolean {
  return typeof detail === 'object' && detail !== null && typeof (detail as { module?: unknown }).module === 'string';
}
