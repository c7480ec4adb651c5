/**
 * Bundles the in-isolate shim (shim/index.ts) once per process with esbuild. The result is
 * a script whose completion value is the shim's `recv` function; its module scope stays
 * private to a closure, so nothing but the Web API globals is visible to user code.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

export const SHIM_FILENAME = 'nimbus:shim.js';
const SHIM_GLOBAL = '__nimbus_shim';

let pending: Promise<string> | null = null;

export function shimCode(): Promise<string> {
  pending ??= bundle().catch((error: unknown) => {
    pending = null;
    throw error;
  });
  return pending;
}

async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./shim/index.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: SHIM_GLOBAL,
    platform: 'neutral',
    target: 'es2022',
    legalComments: 'none',
    logLevel: 'silent',
    charset: 'utf8',
  });
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error('esbuild produced no shim');
  // `var __nimbus_shim` becomes a local of the wrapper; the wrapper's value is recv.
  return `(() => {\n${file.text}\nreturn ${SHIM_GLOBAL}.recv;\n})()`;
}
