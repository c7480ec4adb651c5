/**
 * Builds the web console (console/, Vite + Preact) into dist/console; returns the number of
 * files written. Vite loads on first use: the platform build does not wait for it otherwise.
 * Run alone (`node --import tsx scripts/build-console.ts`) it rebuilds just the console.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { swapIn } from './swap-in.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
export const CONSOLE_OUT = fileURLToPath(new URL('../dist/console', import.meta.url));

/** Builds into a folder of its own, then swaps it in at `out` (dist/console; the platform build gives its own staging folder's). */
export async function buildConsole(out = CONSOLE_OUT): Promise<number> {
  const { build } = await import('vite');
  const staging = `${out}.${process.pid}.tmp`;
  await build({ configFile: `${root}console/vite.config.ts`, logLevel: 'warn', build: { outDir: staging, emptyOutDir: true } });
  swapIn(staging, out);
  return readdirSync(out, { recursive: true }).length;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  const n = await buildConsole();
  process.stdout.write(`built dist/console (${n} files) in ${Math.round(performance.now() - started)} ms\n`);
}
