/** What the micro-benchmarks share: their numeric flags and the hello function's settings. */
import type { FunctionConfig } from '../../src/core/types.ts';

/** `--name N` from the command line, else `dflt`. */
export const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};

/** The settings the runtime-level hello benchmarks start their instances with. */
export const HELLO_CONFIG: FunctionConfig = {
  memoryMb: 128,
  timeoutMs: 10_000,
  cpuLimitMs: 10_000,
  env: { GREETING: 'hello' },
  concurrency: 64,
  targetConcurrency: 32,
  minInstances: 0,
  maxInstances: 10,
  idleTimeoutMs: 60_000,
  runtime: 'isolate',
};

/** The settings the app-runtime benchmarks start the hello server (bench/apps/hello-server.mjs) with: one instance, 64 in flight. */
export const HELLO_APP_CONFIG: FunctionConfig = {
  memoryMb: 256,
  timeoutMs: 30_000,
  cpuLimitMs: 30_000,
  env: {},
  concurrency: 64,
  targetConcurrency: 64,
  minInstances: 1,
  maxInstances: 1,
  idleTimeoutMs: 60_000,
  runtime: 'app',
  app: { command: 'node server.mjs', eventPath: '/', startTimeoutMs: 15_000, graceMs: 1000 },
};
