/**
 * The Node layer at bundle time: `node:x` and bare `x` imports of Node built-ins resolve to
 * the in-isolate modules of src/runtime/isolate/node/ (bundled into the function, so a
 * function that imports none pays nothing), and a built-in Nimbus does not provide fails the
 * deploy, naming the module and the package that imported it.
 *
 * Resolution, in order: inside the layer, `buffer`/`events`/… are the npm packages the layer
 * wraps; a bare name a package's `browser` map (or its own dependency of another name)
 * resolves is left to it; everything else that is a Node built-in is the layer's module, or
 * an error.
 */
import type { BuildOptions, Plugin } from 'esbuild';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * How functions and the shared Node layer are built and resolved, as edge runtimes resolve:
 * packages' browser builds and `browser` maps, then module, main; esbuild adds `import` or
 * `require` by how each module is loaded (naming `import` here would give require() calls a
 * package's ES build), and `default` last.
 */
export const EDGE_BUILD: BuildOptions = Object.freeze({
  bundle: true,
  write: false,
  platform: 'browser',
  target: 'es2022',
  mainFields: ['browser', 'module', 'main'],
  conditions: ['workerd', 'worker', 'browser'],
  logLevel: 'silent',
  legalComments: 'none',
});

/** Built-in (without `node:`) → its module file in the layer directory. */
export const PROVIDED: Readonly<Record<string, string>> = Object.freeze({
  assert: 'assert.ts',
  'assert/strict': 'assert-strict.ts',
  async_hooks: 'async_hooks.ts',
  buffer: 'buffer.ts',
  crypto: 'crypto.ts',
  diagnostics_channel: 'diagnostics_channel.ts',
  dns: 'dns.ts',
  'dns/promises': 'dns-promises.ts',
  events: 'events.ts',
  fs: 'fs.ts',
  'fs/promises': 'fs-promises.ts',
  net: 'net.ts',
  os: 'os.ts',
  path: 'path.ts',
  'path/posix': 'path.ts',
  perf_hooks: 'perf_hooks.ts',
  process: 'process.ts',
  punycode: 'punycode.ts',
  querystring: 'querystring.ts',
  stream: 'stream.ts',
  'stream/promises': 'stream-promises.ts',
  'stream/web': 'stream-web.ts',
  string_decoder: 'string_decoder.ts',
  timers: 'timers.ts',
  tls: 'tls.ts',
  tty: 'tty.ts',
  'timers/promises': 'timers-promises.ts',
  url: 'url.ts',
  util: 'util.ts',
  'util/types': 'util-types.ts',
  zlib: 'zlib.ts',
});

/** Modules of other runtimes the layer provides too, by their full name. */
export const PROVIDED_OTHER: Readonly<Record<string, string>> = Object.freeze({ 'cloudflare:sockets': 'cloudflare-sockets.ts' });

/** Why some built-ins are refused, where a word helps more than "not provided". */
const REFUSED_BECAUSE: Readonly<Record<string, string>> = Object.freeze({
  worker_threads: 'a function instance is one isolate with one thread; there are no workers to start',
  child_process: 'a function cannot start processes',
  cluster: 'a function cannot start processes',
  http: 'a function serves HTTP through its fetch export and calls out with fetch()',
  https: 'a function serves HTTP through its fetch export and calls out with fetch()',
  http2: 'a function serves HTTP through its fetch export and calls out with fetch()',
  vm: 'a function cannot create contexts',
  v8: 'the engine is not exposed to functions',
  inspector: 'the engine is not exposed to functions',
});

/** npm packages the layer wraps: imported from inside the layer, the name is the package. */
const WRAPPED_PACKAGES = new Set(['buffer', 'events', 'string_decoder', 'punycode', 'path-browserify', 'readable-stream']);

/**
 * Names that ask for an npm polyfill of a built-in and get the layer's module instead.
 * `process/` (what readable-stream, so the layer's own streams, asks for) is the browser
 * `process` package: its nextTick drains a queue from a timer, which belongs to whichever
 * invocation ran and is dropped when that one finishes, and stays stuck after a callback
 * throws; every stream of the instance then waits forever. The layer's nextTick is a microtask.
 */
const NPM_TWIN_ALIASES: Readonly<Record<string, string>> = Object.freeze({ 'process/': 'process' });

/** Names `inject` may bind to the layer when code refers to them as globals. */
const INJECT_FILES = ['inject-process.ts', 'inject-buffer.ts', 'inject-immediate.ts'];

/**
 * Web globals too large to load into every isolate (tens of KB each), bound by `inject` to
 * bundles that name them. They sit beside the layer's files but are not the layer (they
 * never mark a bundle as using it).
 */
const WEB_GLOBALS: Readonly<Record<string, string>> = Object.freeze({
  URLPattern: 'inject-web-urlpattern.ts',
  EventSource: 'inject-web-eventsource.ts',
});

/**
 * The web-global files a bundle needs: those whose name its code contains as a word. esbuild
 * keeps every injected file in bundles with CommonJS wrappers, used or not, so they are not
 * injected blindly: a build without them is searched, and built again with the ones named.
 * (A name in a string or a property counts too: that costs size, never correctness.)
 */
export function webGlobalsNamed(code: string): string[] {
  const dir = nodeLayerDir();
  return Object.entries(WEB_GLOBALS)
    .filter(([name]) => new RegExp(`(^|[^\\w$])${name}($|[^\\w$])`).test(code))
    .map(([, file]) => join(dir, file));
}

const SKIP = Symbol('nimbus-node-layer');
/** The namespace of the CommonJS faces of the layer's modules (what `require('x')` loads). */
const REQUIRED = 'nimbus-node-require';
/** The namespace (and the specifier prefix) of a module that re-exports a layer module's default export alone. */
const DEFAULT_NS = 'nimbus-node-default';
const DEFAULT_OF = 'nimbus-node-default:';
/** The namespace of what a package's import of a refused built-in gets (absentModule). */
const ABSENT = 'nimbus-node-absent';
const hostRequire = createRequire(import.meta.url);

/** Built-ins whose export names are read from the host's Node (loading them there has no effect); others get the Proxy alone. */
const NAMES_READ = new Set([...Object.keys(REFUSED_BECAUSE), 'dgram', 'readline', 'console', 'module', 'constants', 'domain', 'wasi', 'trace_events', 'sqlite']);

/** The names (only the names) the host's Node exports from a built-in; none when this Node lacks it. */
function exportNames(name: string): string[] {
  if (!NAMES_READ.has(name)) return [];
  try {
    return Object.keys(hostRequire(`node:${name}`) as object);
  } catch {
    return [];
  }
}

/**
 * A module whose members are functions that throw `text` when called: Node's export names of
 * the module as own properties (so an ES import's named bindings find them), any other name
 * through a Proxy. Loading it, and reading its members, does not fail.
 */
function absentModule(text: string, name: string): string {
  return `const text = ${JSON.stringify(text)};
const fail = (key) => function () {
  const e = new Error(text + ' (called: ' + key + ')');
  e.code = 'ERR_NIMBUS_UNSUPPORTED_MODULE';
  throw e;
};
const members = {};
for (const key of ${JSON.stringify(exportNames(name))}) members[key] = fail(key);
module.exports = new Proxy(members, {
  get(target, key) {
    if (typeof key === 'symbol' || key === '__esModule' || key === 'then' || key === 'default') return undefined;
    return key in target ? target[key] : fail(key);
  },
});
`;
}

/** Appended to a bundle that uses the layer (a comment, after the code: positions are unchanged). */
export { NODE_LAYER_MARK } from '../runtime/isolate/node-env.ts';

let layerDirCache: string | undefined;

/** The layer's directory: beside the built platform (dist/node/), else in the sources. */
export function nodeLayerDir(): string {
  if (layerDirCache !== undefined) return layerDirCache;
  for (const candidate of ['./node/', '../runtime/isolate/node/']) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(join(dir, 'process.ts'))) return (layerDirCache = dir);
  }
  throw new Error('the Node layer (runtime/isolate/node) is missing from this installation');
}

export interface NodeLayerUse {
  /** `async_hooks` was imported: the bundle is built again with async functions lowered. */
  asyncContext: boolean;
  /** The layer's modules imported by the code (built-in names), when the caller wants them. */
  names?: Set<string>;
  /**
   * Packages bundled from their Node build (node-build.ts), true for those the deployer
   * listed: a bare built-in name they import is Node's built-in (no `browser` map decides),
   * and for a listed one a built-in Nimbus does not provide fails the deploy.
   */
  nodeBuilds?: ReadonlyMap<string, boolean>;
  /** Filled with the built-ins Nimbus does not provide that packages import, by the package's directory. */
  absent?: Map<string, Set<string>>;
}

/**
 * A build against the shared layer (node-layer-shared.ts): built-ins it holds, and the
 * injected globals' imports of them, become modules that read its registry.
 */
export interface SharedLayerUse {
  /** Built-in name → the layer's file, for the modules it holds. */
  readonly modules: Readonly<Record<string, string>>;
  /** The source of the module an import (`required`: a require() call) of `name` becomes. */
  readonly load: (name: string, required: boolean) => string;
}

/** The namespace of imports of the shared layer's modules (the path is the built-in's name). */
const SHARED_NS = 'nimbus-node-shared';
const SHARED_REQUIRED_NS = 'nimbus-node-shared-require';

/** The esbuild options that make a bundle resolve as edge runtimes do, with the Node layer. */
export function nodeLayerOptions(): { define: Record<string, string>; inject: string[] } {
  const dir = nodeLayerDir();
  return {
    define: {
      'process.env.NODE_ENV': '"production"',
      global: 'globalThis',
      __dirname: '"/bundle"',
      __filename: '"/bundle/index.js"',
    },
    inject: INJECT_FILES.map((f) => join(dir, f)),
  };
}

/** The package an import came from (`pg`, `@aws-sdk/client-s3`), or null for the function's own code. */
export function packageOf(importer: string): string | null {
  const parts = importer.split(/[\\/]/);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0 || at + 1 >= parts.length) return null;
  const name = parts[at + 1]!;
  return name.startsWith('@') && at + 2 < parts.length ? `${name}/${parts[at + 2]}` : name;
}

/** The directory of the package a file is in (`…/node_modules/pg`, `…/node_modules/@aws-sdk/client-s3`), or null for the function's own code. */
export function packageRootOf(file: string): string | null {
  const pkg = packageOf(file);
  if (pkg === null) return null;
  const at = file.lastIndexOf('node_modules');
  return file.slice(0, at + 'node_modules'.length + 1 + pkg.length);
}

/** True when `resolved` is the npm package named like the built-in (`events` → node_modules/events/…). */
function isNpmTwin(resolved: string, name: string): boolean {
  return packageOf(resolved) === name.split('/')[0];
}

/** What `fs` shows under /bundle: the deployed files, relative path → base64. */
export type BundleFiles = () => Record<string, string>;

const MAX_EMBEDDED_BYTES = 1024 * 1024;
const MAX_EMBEDDED_FILES = 500;

/** The files of a deployed directory for `fs` (no node_modules, no dot files), up to 500 files and 1 MB. */
export function directoryFiles(root: string): BundleFiles {
  return () => {
    const out: Record<string, string> = {};
    let bytes = 0;
    let count = 0;
    const visit = (dir: string, rel: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
        const full = join(dir, entry.name);
        const name = rel === '' ? entry.name : `${rel}/${entry.name}`;
        if (entry.isDirectory()) visit(full, name);
        else if (entry.isFile()) {
          const size = statSync(full).size;
          if (bytes + size > MAX_EMBEDDED_BYTES || count >= MAX_EMBEDDED_FILES) continue;
          out[name] = readFileSync(full).toString('base64');
          bytes += size;
          count++;
        }
      }
    };
    visit(root, '');
    return out;
  };
}

/** The files sent to the API, for `fs`. */
export function sentFiles(files: ReadonlyMap<string, string>): BundleFiles {
  return () => Object.fromEntries([...files].map(([name, text]) => [name.replace(/^\//, ''), Buffer.from(text).toString('base64')]));
}

export function nodeLayerPlugin(use: NodeLayerUse, root: string | null, files: BundleFiles, shared?: SharedLayerUse): Plugin {
  const dir = nodeLayerDir();
  return {
    name: 'nimbus-node-layer',
    setup(b) {
      if (shared !== undefined) {
        b.onLoad({ filter: /.*/, namespace: SHARED_NS }, (args) => ({ contents: shared.load(args.path, false), loader: 'js' }));
        b.onLoad({ filter: /.*/, namespace: SHARED_REQUIRED_NS }, (args) => ({ contents: shared.load(args.path, true), loader: 'js' }));
        // the injected globals (`process`, `Buffer`, `setImmediate`) import the layer's files
        b.onResolve({ filter: /^\.\/[a-z_-]+\.ts$/ }, (args) => {
          if (!INJECT_FILES.some((f) => args.importer === join(dir, f))) return undefined;
          const name = Object.keys(shared.modules).find((n) => shared.modules[n] === args.path.slice(2));
          if (name === undefined) return undefined;
          use.names?.add(name);
          return { path: name, namespace: SHARED_NS };
        });
      }
      b.onLoad({ filter: /.*/, namespace: ABSENT }, (args) => {
        const data = args.pluginData as { text: string; name: string };
        return { contents: absentModule(data.text, data.name), loader: 'js' };
      });
      // through a module that re-exports the default alone: a require() of the module itself
      // would give it a namespace object, with a getter function per export
      b.onLoad({ filter: /.*/, namespace: REQUIRED }, (args) => ({ contents: `module.exports = require(${JSON.stringify(DEFAULT_OF + args.path)}).default;`, loader: 'js' }));
      b.onResolve({ filter: new RegExp(`^${DEFAULT_OF}`) }, (args) => ({ path: args.path.slice(DEFAULT_OF.length), namespace: DEFAULT_NS }));
      b.onLoad({ filter: /.*/, namespace: DEFAULT_NS }, (args) => ({ contents: `export { default } from ${JSON.stringify(args.path)};`, resolveDir: dir, loader: 'js' }));
      b.onResolve({ filter: /^nimbus:bundle-files$/ }, () => ({ path: 'bundle-files', namespace: 'nimbus-bundle-files' }));
      b.onLoad({ filter: /.*/, namespace: 'nimbus-bundle-files' }, () => ({ contents: `export default ${JSON.stringify(files())};`, loader: 'js' }));
      b.onResolve({ filter: /^[a-z_:][a-z0-9_:/]*$/ }, async (args) => {
        if (args.pluginData === SKIP || args.kind === 'entry-point') return undefined;
        const other = PROVIDED_OTHER[args.path];
        if (other !== undefined) {
          use.names?.add(args.path);
          if (shared?.modules[args.path] !== undefined) return { path: args.path, namespace: args.kind === 'require-call' ? SHARED_REQUIRED_NS : SHARED_NS };
          return { path: join(dir, other) };
        }
        const prefixed = args.path.startsWith('node:');
        const name = prefixed ? args.path.slice(5) : NPM_TWIN_ALIASES[args.path] ?? args.path;
        const fromLayer = args.importer.startsWith(dir);
        if (fromLayer && WRAPPED_PACKAGES.has(name)) return undefined;
        if (!prefixed && !isBuiltin(name)) return undefined;
        const pkg = packageOf(args.importer);
        const nodeBuilt = pkg !== null && use.nodeBuilds?.has(pkg) === true;
        if (!prefixed && !fromLayer && !nodeBuilt) {
          const found = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, namespace: args.namespace, pluginData: SKIP });
          if (found.errors.length === 0 && !isNpmTwin(found.path, name)) return undefined;
        }
        const file = PROVIDED[name];
        if (file !== undefined) {
          if (name === 'async_hooks') use.asyncContext = true;
          if (!fromLayer) {
            use.names?.add(name);
            if (shared?.modules[name] !== undefined) return { path: name, namespace: args.kind === 'require-call' ? SHARED_REQUIRED_NS : SHARED_NS };
          }
          // require() gets what Node's gives, the module's default export (`require('stream')` is
          // Stream, `require('events')` EventEmitter), not an ES namespace object around it.
          if (args.kind === 'require-call') return { path: join(dir, file), namespace: REQUIRED };
          return { path: join(dir, file) };
        }
        const where = pkg === null ? `${displayPath(args.importer, root)}` : use.nodeBuilds?.get(pkg) === true ? `package "${pkg}" (its Node build, listed in nodeBuild)` : `package "${pkg}"`;
        const why = REFUSED_BECAUSE[name] ?? 'Nimbus does not provide it (see docs/runtime.md, "Node.js built-ins")';
        const text = `the Node built-in "${args.path}" imported by ${where} is not available in functions: ${why}`;
        const pkgRoot = packageRootOf(args.importer);
        if (pkgRoot !== null) use.absent?.set(pkgRoot, (use.absent.get(pkgRoot) ?? new Set<string>()).add(name));
        if (pkg !== null && use.nodeBuilds?.get(pkg) !== true) {
          // Packages import modules they only call on some paths (winston's Http transport, the
          // MongoDB driver's optional AWS credential provider, nodemailer's sendmail transport
          // and URL attachments): deployed with a warning, and the
          // module's functions throw when called, as workerd's stubs do. The function's own
          // imports still fail the deploy.
          return {
            path: `${name}?${pkg}`,
            namespace: ABSENT,
            pluginData: { text, name },
            warnings: [{ text: `${text}; deployed anyway (a package may import it for a path it never takes): calling it throws` }],
          };
        }
        return {
          errors: [
            {
              text,
              detail: { module: name, importedBy: pkg ?? displayPath(args.importer, root) },
            },
          ],
        };
      });
    },
  };
}

function displayPath(importer: string, root: string | null): string {
  if (root === null) return importer.replace(/^\//, '');
  const rel = relative(root, importer);
  return rel.startsWith('..') ? importer : rel.split(sep).join('/');
}

/**
 * What a build's output holds of the layer (its metafile's inputs, relative to `cwd`):
 * `modules` when any of its modules is there; `stubs` when only the injected globals'
 * empty wrappers are (esbuild leaves them in bundles with CommonJS wrappers; the bundle is
 * then built again without `inject`).
 */
export function layerInOutput(inputs: Readonly<Record<string, { bytesInOutput: number }>>, cwd: string): 'modules' | 'stubs' | 'none' {
  const dir = nodeLayerDir();
  let found: 'stubs' | 'none' = 'none';
  for (const [path, input] of Object.entries(inputs)) {
    if (input.bytesInOutput === 0 || !join(cwd, path).startsWith(dir)) continue;
    if (!INJECT_FILES.some((f) => path.endsWith(f))) return 'modules';
    found = 'stubs';
  }
  return found;
}
