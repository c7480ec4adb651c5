/**
 * The same probe in Cloudflare's workerd with `nodejs_compat`, bundled as wrangler does for
 * it: ES module output, export conditions `workerd`/`worker`/`browser`, packages' `browser`
 * maps honoured, Node built-ins left to the runtime as `node:` imports (a `require()` of one
 * gives the module's default export). It is the bar of issue #17: what works there must
 * work in Nimbus. Bundled with the platform's esbuild; the binary is the bench's workerd.
 */
import { isBuiltin } from 'node:module';
import type { Plugin } from 'esbuild';
import { request } from '../lib/http.ts';
import { startWorkerd, type WorkerdTarget } from '../targets/workerd.ts';
import type { TargetRun } from './compare.ts';
import type { Outcome } from './outcome.ts';

const SKIP = Symbol('compat-workerd');
/** A recent date, as a new Worker gets: all of nodejs_compat that this workerd has (node:fs, node:http clients…). */
export const COMPAT_DATE = '2026-11-01';

const builtins: Plugin = {
  name: 'compat-workerd-builtins',
  setup(b) {
    b.onResolve({ filter: /^[a-z_:][a-z0-9_:/]*$/ }, async (args) => {
      if (args.pluginData === SKIP) return undefined;
      const name = args.path.startsWith('node:') ? args.path.slice(5) : args.path;
      // `node:x` is the runtime's whatever this Node knows (node:sqlite is newer than Node 20)
      if (!args.path.startsWith('node:') && !isBuiltin(name) && !args.path.startsWith('cloudflare:')) return undefined;
      if (!args.path.startsWith('node:') && !args.path.startsWith('cloudflare:')) {
        // a `browser` map (or a dependency named like the built-in) wins, as in Nimbus
        const found = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: SKIP });
        if (found.errors.length === 0 && !found.path.includes(`/node_modules/${name}/`)) return undefined;
      }
      const spec = args.path.startsWith('cloudflare:') ? args.path : `node:${name}`;
      if (args.kind === 'require-call') return { path: spec, namespace: 'compat-workerd-require' };
      return { path: spec, external: true };
    });
    // require('x'): a CommonJS module whose exports are the ES module's default export
    b.onLoad({ filter: /.*/, namespace: 'compat-workerd-require' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(`compat-esm:${args.path}`)}).default;\n`, loader: 'js' }));
    b.onResolve({ filter: /^compat-esm:/ }, (args) => ({ path: args.path.slice('compat-esm:'.length), namespace: 'compat-workerd-esm' }));
    b.onLoad({ filter: /.*/, namespace: 'compat-workerd-esm' }, (args) => ({ contents: `import * as ns from ${JSON.stringify(args.path)};\nexport default ns.default ?? ns;\n`, loader: 'js' }));
  },
};

/** The probe's worker module, or the bundler's refusal. */
export async function workerdModule(entryFile: string): Promise<{ code: string } | { error: string }> {
  const { build } = await import('esbuild');
  try {
    const r = await build({
      entryPoints: [entryFile],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      conditions: ['workerd', 'worker', 'browser'],
      mainFields: ['browser', 'module', 'main'],
      define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
      logLevel: 'silent',
      plugins: [builtins],
    });
    return { code: r.outputFiles[0].text };
  } catch (e) {
    const errors = (e as { errors?: Array<{ text: string }> }).errors;
    return { error: errors?.map((x) => x.text).join('; ') ?? String(e) };
  }
}

/** Runs probes/<probe>.ts in a workerd process of its own (entry: a wrapper file written to `entryFile`). */
export async function inWorkerd(entryFile: string, timeoutMs: number): Promise<TargetRun> {
  const built = await workerdModule(entryFile);
  if ('error' in built) return { kind: 'deploy-failed', why: built.error.slice(0, 600) };
  let w: WorkerdTarget | undefined;
  try {
    w = await startWorkerd({ workers: [{ name: 'probe', source: built.code, compatibilityFlags: ['nodejs_compat'], compatibilityDate: COMPAT_DATE }], readiness: 'port' });
    const r = await request(w.baseUrl + '/', { timeoutMs });
    if (r.status !== 200) return { kind: 'crash', why: `HTTP ${r.status}: ${r.body.slice(0, 400)}` };
    return { kind: 'ran', outcome: JSON.parse(r.body) as Outcome };
  } catch (e) {
    // a worker that fails to load leaves the connection reset; workerd printed why
    const printed = w?.output().split('\n').filter((l) => /Uncaught|Error/.test(l)).slice(0, 2).join(' / ');
    return { kind: 'crash', why: (printed || (e as Error).message).slice(0, 600) };
  } finally {
    await w?.stop().catch(() => undefined);
  }
}
