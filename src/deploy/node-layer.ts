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
import type { Plugin } from 'esbuild';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

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
  process: 'process.ts',
  punycode: 'punycode.ts',
  querystring: 'querystring.ts',
  stream: 'stream.ts',
  'stream/promises': 'stream-promises.ts',
  'stream/web': 'stream-web.ts',
  string_decoder: 'string_decoder.ts',
  timers: 'timers.ts',
  tls: 'tls.ts',
  'timers/promises': 'timers-promises.ts',
  url: 'url.ts',
  util: 'util.ts',
  'util/types': 'util-types.ts',
  zlib: 'zlib.ts',
});

/** Modules of other runtimes the layer provides too, by their full name. */
const PROVIDED_OTHER: Readonly<Record<string, string>> = Object.freeze({ 'cloudflare:sockets': 'cloudflare-sockets.ts' });

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

/**
 * Refused built-ins that packages import for a path a function rarely takes (nodemailer's
 * sendmail transport spawns a process; its attachment download uses http): imported by a
 * package, they bundle as a module whose functions throw at call with the same reason (as
 * on Workers' nodejs_compat); imported by the function's own code, they fail the deploy.
 * Each lists the names it exports.
 */
const INERT_IN_PACKAGES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  http: ['request', 'get', 'createServer', 'Agent', 'ClientRequest', 'IncomingMessage', 'OutgoingMessage', 'Server', 'ServerResponse', 'validateHeaderName', 'validateHeaderValue'],
  https: ['request', 'get', 'createServer', 'Agent', 'Server'],
  child_process: ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork', 'ChildProcess'],
});

/** The source of an inert module: each export throws ERR_METHOD_NOT_IMPLEMENTED with `why` when called or constructed. */
export function inertModule(name: string, why: string): string {
  const names = INERT_IN_PACKAGES[name] ?? [];
  const lines = [
    `function unavailable(n) { return function () { const e = new Error(${JSON.stringify(`${name}.`)} + n + ${JSON.stringify(` is not available in functions: ${why}`)}); e.code = 'ERR_METHOD_NOT_IMPLEMENTED'; throw e; }; }`,
    ...names.map((n) => `export const ${n} = unavailable(${JSON.stringify(n)});`),
    `export default { ${names.join(', ')} };`,
  ];
  return lines.join('\n');
}

/** npm packages the layer wraps: imported from inside the layer, the name is the package. */
const WRAPPED_PACKAGES = new Set(['buffer', 'events', 'string_decoder', 'punycode', 'path-browserify', 'readable-stream']);

/** Names `inject` may bind to the layer when code refers to them as globals. */
const INJECT_FILES = ['inject-process.ts', 'inject-buffer.ts', 'inject-immediate.ts'];

const SKIP = Symbol('nimbus-node-layer');
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
}

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

export function nodeLayerPlugin(use: NodeLayerUse, root: string | null, files: BundleFiles): Plugin {
  const dir = nodeLayerDir();
  return {
    name: 'nimbus-node-layer',
    setup(b) {
      b.onResolve({ filter: /^nimbus:bundle-files$/ }, () => ({ path: 'bundle-files', namespace: 'nimbus-bundle-files' }));
      b.onLoad({ filter: /.*/, namespace: 'nimbus-bundle-files' }, () => ({ contents: `export default ${JSON.stringify(files())};`, loader: 'js' }));
      b.onLoad({ filter: /.*/, namespace: 'nimbus-inert' }, (args) => ({ contents: inertModule(args.path, REFUSED_BECAUSE[args.path] ?? ''), loader: 'js' }));
      b.onResolve({ filter: /^[a-z_:][a-z0-9_:/]*$/ }, async (args) => {
        if (args.pluginData === SKIP || args.kind === 'entry-point') return undefined;
        const other = PROVIDED_OTHER[args.path];
        if (other !== undefined) return { path: join(dir, other) };
        const prefixed = args.path.startsWith('node:');
        const name = prefixed ? args.path.slice(5) : args.path;
        const fromLayer = args.importer.startsWith(dir);
        if (fromLayer && WRAPPED_PACKAGES.has(name)) return undefined;
        if (!prefixed && !isBuiltin(name)) return undefined;
        if (!prefixed && !fromLayer) {
          const found = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, namespace: args.namespace, pluginData: SKIP });
          if (found.errors.length === 0 && !isNpmTwin(found.path, name)) return undefined;
        }
        const file = PROVIDED[name];
        if (file !== undefined) {
          if (name === 'async_hooks') use.asyncContext = true;
          return { path: join(dir, file) };
        }
        const pkg = packageOf(args.importer);
        if (pkg !== null && INERT_IN_PACKAGES[name] !== undefined) return { path: name, namespace: 'nimbus-inert' };
        const where = pkg !== null ? `package "${pkg}"` : `${displayPath(args.importer, root)}`;
        const why = REFUSED_BECAUSE[name] ?? 'Nimbus does not provide it (see docs/runtime.md, "Node.js built-ins")';
        return {
          errors: [
            {
              text: `the Node built-in "${args.path}" imported by ${where} is not available in functions: ${why}`,
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
