/**
 * `npm run build`: the platform and the CLI as JavaScript in dist/, so `nimbus` runs
 * with no TypeScript compiler: dist/cli.js (the command; each command's code a chunk
 * loaded when it runs), dist/record-writer-worker.js and dist/pg-record-writer-worker.js (the
 * record writer's thread on SQLite, on PostgreSQL), dist/shim.js (the in-isolate Web runtime, bundled once here instead of at every start),
 * dist/node-layer*.js (the shared Node layers, one per kind, that spares hold, likewise),
 * dist/node-worker/ (worker.mjs, the generic process of the node runtime, and its modules), dist/connector/
 * connector.mjs (the first process of an app's network namespace), dist/node/ (the
 * Node layer's sources, which a deploy bundles into functions that use it) and dist/console/
 * (the web console, built by Vite from console/: what `nimbus up` serves at /console).
 * npm packages stay outside the bundle, resolved from node_modules as usual.
 */
import { build } from 'esbuild';
import { copyFileSync, cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleShim } from '../src/runtime/isolate/shim-source.ts';
import { bundleSharedLayer, LAYER_KINDS, prebuiltName } from '../src/deploy/node-layer-shared.ts';
import { buildConsole } from './build-console.ts';
import { swapIn } from './swap-in.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const started = performance.now();

// built aside, then swapped in: a platform, test or command starting meanwhile finds a whole build
const staging = `${dist}.${process.pid}.tmp`;
rmSync(staging, { recursive: true, force: true });
mkdirSync(staging);
let files = 0;
try {
  const result = await build({
    absWorkingDir: root,
    entryPoints: {
      cli: 'src/cli/main.ts',
      'record-writer-worker': 'src/store/sqlite/record-writer-worker.ts',
      'pg-record-writer-worker': 'src/store/postgres/pg-record-writer-worker.ts',
    },
    outdir: staging,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    chunkNames: '[name]-[hash]',
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
  });
  writeFileSync(join(staging, 'shim.js'), await bundleShim());
  for (const kind of LAYER_KINDS) writeFileSync(join(staging, prebuiltName(kind)), await bundleSharedLayer(kind));
  // The generic process of the node runtime runs as it is (its modules), beside the code that starts it.
  mkdirSync(join(staging, 'node-worker'));
  for (const file of ['worker.mjs', 'websocket.mjs', 'ws-target.mjs']) copyFileSync(join(root, 'src/runtime/process/node-worker', file), join(staging, 'node-worker', file));
  // So does the connector of apps in a network namespace (mounted read-only in their sandbox).
  mkdirSync(join(staging, 'connector'));
  copyFileSync(join(root, 'src/runtime/process/connector/connector.mjs'), join(staging, 'connector/connector.mjs'));
  cpSync(join(root, 'src/runtime/isolate/node'), join(staging, 'node'), { recursive: true, filter: (src) => !src.endsWith('.test.ts') });
  const consoleFiles = await buildConsole(join(staging, 'console'));
  swapIn(staging, dist);
  files = Object.keys(result.metafile.outputs).length + 1 + consoleFiles;
} finally {
  // a build that failed leaves nothing behind (after the swap there is nothing to remove)
  rmSync(staging, { recursive: true, force: true });
}
process.stdout.write(`built dist/ (${files} files) in ${Math.round(performance.now() - started)} ms\n`);
