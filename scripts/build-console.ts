/**
 * Builds the web console (console/, Vite + Preact) into dist/console; returns the number of
 * files written. Vite loads on first use: the platform build does not wait for it otherwise.
 * Run alone (`node --import tsx scripts/build-console.ts`) it rebuilds just the console.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const CONSOLE_OUT = fileURLToPath(new URL('../dist/console', import.meta.url));

export async function buildConsole(): Promise<number> {
  const { build } = await import('vite');
  await build({ configFile: `${root}console/vite.config.ts`, logLevel: 'warn' });
  return readdirSync(CONSOLE_OUT, { recursive: true }).length;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  const n = await buildConsole();
  process.stdout.write(`built dist/console (${n} files) in ${Math.round(performance.now() - started)} ms\n`);
}
