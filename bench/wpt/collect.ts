/**
 * Finds the Web Platform Tests to run and turns each `.any.js` file into one ES module that
 * any Workers-style runtime can serve: a fetch handler that loads testharness.js, the
 * file's `// META: script=` helpers and the test into one function scope (as a worker's
 * importScripts would, in order), runs it and answers with the results as JSON.
 * Nothing here is WPT itself: the WPT files are read from a copy outside the repository.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';

/** The directories of issue #16, as reported (one table row each). */
export const DIRECTORIES = [
  'url',
  'encoding',
  'fetch/api/headers',
  'fetch/api/request',
  'fetch/api/response',
  'fetch/api/body',
  'streams',
  'compression',
  'WebCryptoAPI',
  'html/webappapis/atob',
  'html/webappapis/structured-clone',
  'html/webappapis/timers',
  'dom/abort',
  'dom/events',
  'FileAPI',
  'xhr/formdata',
  'hr-time',
  'websockets',
] as const;

export interface Meta {
  /** Helper scripts, as WPT-root paths (`/resources/…`), in order. */
  readonly scripts: string[];
  /** The `global=` list, or null when the file names none (window + dedicated worker). */
  readonly globals: string[] | null;
  readonly timeoutLong: boolean;
  /** `META: variant=` query strings (`?1-1000`, `?wss`): WPT runs the file once per variant, each a test of its own. */
  readonly variants: string[];
}

export function parseMeta(source: string): Meta {
  const scripts: string[] = [];
  let globals: string[] | null = null;
  let timeoutLong = false;
  const variants: string[] = [];
  for (const line of source.split('\n')) {
    const m = /^\s*\/\/\s*META:\s*(\w+)=(.*)$/.exec(line);
    if (!m) {
      if (line.trim() === '' || line.trim().startsWith('//')) continue;
      break; // META lines come first
    }
    const [, key, value] = m;
    if (key === 'script') scripts.push(value.trim());
    else if (key === 'global') globals = value.split(',').map((g) => g.trim());
    else if (key === 'timeout') timeoutLong = value.trim() === 'long';
    else if (key === 'variant') variants.push(value.trim());
  }
  return { scripts, globals, timeoutLong, variants };
}

const WORKER_GLOBALS = new Set(['worker', 'dedicatedworker', 'serviceworker', 'sharedworker', 'dedicatedworker-module', 'serviceworker-module', 'sharedworker-module', 'jsshell']);

/** Whether WPT would run this file in a worker scope (what a Workers runtime is). */
export function runsInWorker(meta: Meta): boolean {
  return meta.globals === null || meta.globals.some((g) => WORKER_GLOBALS.has(g) || g === 'shadowrealm');
}

export interface TestFile {
  /** WPT-root path without leading slash, e.g. `url/url-constructor.any.js`. */
  readonly path: string;
  /** The DIRECTORIES entry it belongs to. */
  readonly dir: string;
  /** The variant's query string (`?1-1000`), '' for a file without variants. */
  readonly variant?: string;
}

/** How a test is named in results: its path, with its variant if it has one. */
export function testName(file: TestFile): string {
  return file.path + (file.variant ?? '');
}

function walk(root: string, rel: string, out: string[]): void {
  const abs = join(root, rel);
  if (!existsSync(abs)) return;
  for (const name of readdirSync(abs).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    if (statSync(join(root, r)).isDirectory()) {
      if (name !== 'resources' && name !== 'support') walk(root, r, out);
    } else if (name.endsWith('.any.js')) {
      out.push(r);
    }
  }
}

/** Every runnable `.any.js` file of the chosen directories (all of them by default). */
export function findTests(wptDir: string, dirs: readonly string[] = DIRECTORIES): { files: TestFile[]; skipped: { path: string; why: string }[]; absent: string[] } {
  const files: TestFile[] = [];
  const skipped: { path: string; why: string }[] = [];
  const absent: string[] = [];
  for (const dir of dirs) {
    if (!existsSync(join(wptDir, dir))) {
      absent.push(dir);
      continue;
    }
    const found: string[] = [];
    walk(wptDir, dir, found);
    for (const path of found) {
      const meta = parseMeta(readFileSync(join(wptDir, path), 'utf8'));
      if (!runsInWorker(meta)) skipped.push({ path, why: `global=${meta.globals?.join(',')} (no worker scope)` });
      else if (meta.variants.length === 0) files.push({ path, dir });
      else for (const variant of meta.variants) files.push({ path, dir, variant });
    }
  }
  return { files, skipped, absent };
}

/** The origin the tests believe they are served from (WPT's default host). */
export function locationOf(path: string, variant = ''): string {
  return (path.includes('.https.') ? `https://web-platform.test:8443/${path}` : `http://web-platform.test:8000/${path}`) + variant;
}

const PORTS: Record<string, number> = { http: 8000, https: 8443, ws: 8001, wss: 8444, h2: 9000, 'http-public': 8000, 'http-private': 8000 };

/** The server-side substitutions of `.sub.` files, with WPT's default host and ports. */
export function substitute(text: string): string {
  return text.replace(/\{\{([^}]*)\}\}/g, (_all, expr: string) => {
    const e = expr.trim();
    if (e === 'host') return 'web-platform.test';
    let m = /^domains\[([^\]]*)\]$/.exec(e);
    if (m) return m[1] ? `${m[1]}.web-platform.test` : 'web-platform.test';
    m = /^hosts\[([^\]]*)\]\[([^\]]*)\]$/.exec(e);
    if (m) return m[2] ? `${m[2]}.${m[1] === 'alt' ? 'not-web-platform.test' : 'web-platform.test'}` : m[1] === 'alt' ? 'not-web-platform.test' : 'web-platform.test';
    m = /^ports\[([^\]]*)\]\[(\d+)\]$/.exec(e);
    if (m) return String(PORTS[m[1]] ?? 8000);
    if (e === 'location[host]') return 'web-platform.test:8000';
    return '';
  });
}

function readScript(wptDir: string, wptPath: string): string {
  const text = readFileSync(join(wptDir, wptPath), 'utf8');
  return wptPath.includes('.sub.') ? substitute(text) : text;
}

/** WPT-root paths of JSON data files a script names in a string literal and that exist. */
function dataFilesNamed(wptDir: string, fromPath: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/["'`]([^"'`\s]+\.json)["'`]/g)) {
    const ref = m[1];
    if (/^[a-z]+:/i.test(ref)) continue;
    const p = ref.startsWith('/') ? ref.slice(1) : posix.normalize(posix.join(posix.dirname(fromPath), ref));
    if (!p.startsWith('..') && existsSync(join(wptDir, p))) out.push(p);
  }
  // idlharness's idl_test(['url'], ['html']) fetches /interfaces/<name>.idl.
  if (text.includes('idl_test(')) {
    for (const m of text.matchAll(/["'`]([\w-]+)["'`]/g)) {
      const p = `interfaces/${m[1]}.idl`;
      if (existsSync(join(wptDir, p))) out.push(p);
    }
  }
  return out;
}

/** WPT gives `timeout=long` files 6× the normal timeout; with our larger base, 3×. */
export const LONG_FACTOR = 3;

export interface BuiltModule {
  /** An ES module exporting `default { fetch }`. */
  readonly source: string;
  /**
   * The same as a classic service-worker script (`addEventListener('fetch', …)`): WPT's
   * scripts are classic, sloppy-mode scripts (some assign undeclared globals), and an ES
   * module is strict wherever the runtime runs it as one (workerd does).
   */
  readonly classic: string;
  /**
   * The same as a CommonJS module (`module.exports = { fetch }`), for Nimbus: it runs a
   * CommonJS entry in sloppy mode, as Node does, and an ES module entry strict.
   */
  readonly commonjs: string;
  /** The harness timeout used: the caller's, times LONG_FACTOR for `META: timeout=long`. */
  readonly softTimeoutMs: number;
  /** Helper scripts that the file names but the WPT copy lacks (the file is run anyway). */
  readonly missing: string[];
}

/**
 * The module for one test file. `softTimeoutMs` is when, inside the runtime, the harness
 * is told to time out (unfinished subtests become TIMEOUT/NOTRUN and results are still
 * returned); the caller's own deadline is above it, for hangs the harness cannot end.
 */
export function buildModule(wptDir: string, file: TestFile, softTimeoutMs: number): BuiltModule {
  const testText = readScript(wptDir, file.path);
  const meta = parseMeta(testText);
  const soft = meta.timeoutLong ? softTimeoutMs * LONG_FACTOR : softTimeoutMs;
  const missing: string[] = [];
  const scripts: { path: string; text: string }[] = [];
  for (const s of meta.scripts) {
    const p = s.startsWith('/') ? s.slice(1) : posix.normalize(posix.join(posix.dirname(file.path), s));
    if (!existsSync(join(wptDir, p))) {
      missing.push(p);
      continue;
    }
    scripts.push({ path: p, text: readScript(wptDir, p) });
  }
  const data: Record<string, string> = {};
  for (const s of [...scripts, { path: file.path, text: testText }]) {
    for (const p of dataFilesNamed(wptDir, s.path, s.text)) data['/' + p] = readFileSync(join(wptDir, p), 'utf8');
  }
  const harness = readFileSync(join(wptDir, 'resources/testharness.js'), 'utf8');
  const body = [
    `// ---- /resources/testharness.js`,
    harness,
    `__wptRestoreScopes();`,
    `add_completion_callback(__wptComplete);`,
    // The helpers and the test share one function scope (as classic scripts share the
    // global one), at its top level: inside a block, two scripts declaring the same
    // function would be a SyntaxError.
    `function __wptScripts() {`,
    ...scripts.map((s) => `// ---- /${s.path}\n${s.text}\n;`),
    `// ---- /${file.path}`,
    testText,
    `\n}`,
    `try { __wptScripts.call(globalThis); } catch (e) { __wptThrew(e); }`,
    `done();`,
  ].join('\n');
  const source = moduleSource(locationOf(file.path, file.variant), data, body, soft);
  return { source, classic: classicScript(source), commonjs: commonjsModule(source), softTimeoutMs: soft, missing };
}

function moduleSource(href: string, data: Record<string, string>, body: string, softTimeoutMs: number): string {
  return `// Generated by bench/wpt: one Web Platform Test file run as a Workers-style module.
const __WPT_LOCATION = ${JSON.stringify(href)};
const __WPT_DATA = ${JSON.stringify(data)};
const __WPT_SOFT_TIMEOUT_MS = ${softTimeoutMs};

// testharness.js picks its environment from the global's interfaces: a runtime exposing
// ServiceWorkerGlobalScope (workerd) would wait for an install event that never comes.
// Hidden while testharness.js loads, every runtime gets its shell environment (tests
// complete when they are done), then put back for the tests.
const __WPT_SCOPES = ['ServiceWorkerGlobalScope', 'SharedWorkerGlobalScope', 'DedicatedWorkerGlobalScope', 'WorkerGlobalScope'];
const __wptHidden = [];
function __wptRestoreScopes() {
  for (const [name, d] of __wptHidden.splice(0)) { try { Object.defineProperty(globalThis, name, d); } catch {} }
}

function __wptPrelude() {
  // What testharness.js and .any.js tests expect of a worker's global scope.
  for (const name of __WPT_SCOPES) {
    const d = Object.getOwnPropertyDescriptor(globalThis, name);
    if (d && d.configurable) { __wptHidden.push([name, d]); delete globalThis[name]; }
  }
  if (typeof globalThis.self === 'undefined') globalThis.self = globalThis;
  try { globalThis.location = new URL(__WPT_LOCATION); } catch {}
  globalThis.GLOBAL = { isWindow: () => false, isWorker: () => true, isShadowRealm: () => false };
  // The WPT server is not running: the data files the test names (JSON, IDL) are served from memory.
  if (Object.keys(__WPT_DATA).length > 0 && typeof globalThis.fetch === 'function') {
    const realFetch = globalThis.fetch;
    globalThis.fetch = function fetch(input, init) {
      try {
        const u = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url, __WPT_LOCATION);
        if (Object.prototype.hasOwnProperty.call(__WPT_DATA, u.pathname)) {
          const type = u.pathname.endsWith('.json') ? 'application/json' : 'text/plain';
          return Promise.resolve(new Response(__WPT_DATA[u.pathname], { headers: { 'content-type': type } }));
        }
      } catch {}
      return realFetch.call(this, input, init);
    };
  }
}

// WPT's scripts are classic scripts: no CommonJS \`module\`, \`exports\` or \`require\` in their
// scope (a UMD helper such as pako would otherwise export itself instead of setting a global).
function __wptRun(__wptComplete, __wptThrew, module, exports, require) {
${body}
}

const cut = (s, n) => (typeof s === 'string' && s.length > n ? s.slice(0, n) + '…' : s ?? null);

export default {
  async fetch() {
    let harnessError = null;
    const results = await new Promise((resolve) => {
      let softTimer;
      const complete = (tests, status) => {
        clearTimeout(softTimer);
        resolve({
          harness: { status: harnessError ? 1 : status.status, message: cut(harnessError ?? status.message, 500) },
          tests: tests.map((t) => ({ name: cut(t.name, 300), status: t.status, message: cut(t.message, 300) })),
        });
      };
      const threw = (e) => { harnessError = 'uncaught while loading: ' + (e && e.stack ? e.stack : String(e)); };
      try {
        __wptPrelude();
        softTimer = setTimeout(() => { try { globalThis.timeout(); } catch {} }, __WPT_SOFT_TIMEOUT_MS);
        __wptRun.call(globalThis, complete, threw);
      } catch (e) {
        clearTimeout(softTimer);
        resolve({ harness: { status: 1, message: cut('harness failed to load: ' + (e && e.stack ? e.stack : String(e)), 500) }, tests: [] });
      }
    });
    return new Response(JSON.stringify(results), { headers: { 'content-type': 'application/json' } });
  },
};
`;
}

const EXPORT = '\nexport default {\n  async fetch() {';

function exportAt(source: string): number {
  const at = source.lastIndexOf(EXPORT);
  if (at < 0) throw new Error('bench wpt: generated module lacks its export');
  return at;
}

/** The module as CommonJS: the handler is module.exports. */
function commonjsModule(source: string): string {
  const at = exportAt(source);
  return source.slice(0, at) + '\nmodule.exports = {\n  async fetch() {' + source.slice(at + EXPORT.length);
}

/** The module as a classic script: the handler registered as a fetch event listener. */
function classicScript(source: string): string {
  const at = exportAt(source);
  return (
    source.slice(0, at) +
    '\nconst __wptHandler = {\n  async fetch() {' +
    source.slice(at + EXPORT.length) +
    "\naddEventListener('fetch', (event) => event.respondWith(__wptHandler.fetch(event.request)));\n"
  );
}
