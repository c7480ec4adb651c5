/**
 * Builds the web console (console/, Vite + Preact) into dist/console; returns the number of
 * files written. Vite loads on first use: the platform build does not wait for it otherwise.
 * Run alone (`node --import tsx scripts/build-console.ts`) it rebuilds just the console.
 */
import { readdirSync, renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const CONSOLE_OUT = fileURLToPath(new URL('../dist/console', import.meta.url));

/** Builds into a folder of its own, then swaps it in: a platform starting meanwhile reads the old build or the new, never half of one. */
export async function buildConsole(): Promise<number> {
  const { build } = await import('vite');
  const staging = `${CONSOLE_OUT}.${process.pid}.tmp`;
  await build({ configFile: `${root}console/vite.config.ts`, logLevel: 'warn', build: { outDir: staging, emptyOutDir: true } });
  const old = `${CONSOLE_OUT}.${process.pid}.old`;
  try {
    renameSync(CONSOLE_OUT, old);
  } catch {
    // no previous build
  }
  renameSync(staging, CONSOLE_OUT);
  rmSync(old, { recursive: true, force: true });
  return readdirSync(CONSOLE_OUT, { recursive: true }).length;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  const n = await buildConsole();
  process.stdout.write(`built dist/console (${n} files) in ${Math.round(performance.now() - started)} ms\n`);
}
