/**
 * The in-isolate shim (shim/index.ts) as one script whose completion value is the shim's
 * `recv` function; its module scope stays private to a closure, so nothing but the Web API
 * globals is visible to user code. A build (`npm run build`) writes it next to the
 * platform's code as `shim.js`; run from source, it is bundled with esbuild once per process.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { shortenLocalNames } from './short-names.ts';
import { singleByteTables } from './single-byte-tables.ts';

export const SHIM_FILENAME = 'nimbus:shim.js';
const SHIM_GLOBAL = '__nimbus_shim';
/** Where a build leaves the bundled shim: beside the module that reads it. */
const PREBUILT = new URL('./shim.js', import.meta.url);

let pending: Promise<string> | null = null;

export function shimCode(): Promise<string> {
  pending ??= readFile(PREBUILT, 'utf8')
    .catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      return bundleShim();
    })
    .catch((error: unknown) => {
      pending = null;
      throw error;
    });
  return pending;
}

/** Bundles shim/index.ts into the script `shimCode` gives (the build calls it too); `shortNames: false` leaves local names as written. */
export async function bundleShim(options: { shortNames?: boolean } = {}): Promise<string> {
  const { build } = await import('esbuild');
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
    // ASCII only (other characters as escapes): V8 then holds each isolate's copy of the
    // source as a one-byte string, half the memory of a two-byte one
    charset: 'ascii',
    // web-streams-polyfill transfers a BYOB reader's buffers with the global structuredClone
    // when there is no ArrayBuffer.prototype.transfer (Node 20's V8 has none, and V8 flags
    // set at run time slow every isolate down); ours has no transfer, so the polyfill hands
    // the buffers on as they are (not detached). Our own code imports its structuredClone.
    // TextDecoder's single-byte tables, computed here once so an isolate needs no host call
    define: { structuredClone: 'undefined', __NIMBUS_SINGLE_BYTE_TABLES__: JSON.stringify(singleByteTables()) },
    // every isolate holds the shim's source: whitespace and syntax minified here, local names
    // shortened after (short-names.ts)
    minifyWhitespace: true,
    minifySyntax: true,
  });
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error('esbuild produced no shim');
  // `var __nimbus_shim` becomes a local of the wrapper; the wrapper's value is recv.
  const code = `(() => {\n${file.text}\nreturn ${SHIM_GLOBAL}.recv;\n})()`;
  return options.shortNames === false ? code : shortenLocalNames(code);
}
