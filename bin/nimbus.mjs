#!/usr/bin/env node
// The `nimbus` command. The platform (`nimbus up`) runs V8 isolates through
// isolated-vm, which needs Node started with --no-node-snapshot, and wants --no-lazy
// (below): when either is missing we start Node again with it. Every other command runs
// in this process.
//
// --no-lazy: V8 compiles every function when its script is compiled, not on its first
// call. A function's code cache then holds all of it, so a new instance runs its first
// request without compiling (bench cold-start, same machine: first request after a
// deploy p50 9.3 → 6–7 ms, after scale to zero 5.8 → 3 ms; the platform's own first
// requests likewise). Cost: ~10 % more heap per instance (0.6 MB for a 726 KB bundle)
// and ~20 MB for the platform process. docs/runtime.md, "Cold starts".
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const args = process.argv.slice(2);

// Node flags `up` needs; the ones missing are added (the caller's own flags are kept).
const missing = ['--no-node-snapshot', '--no-lazy'].filter((flag) => !process.execArgv.includes(flag));

if (args[0] === 'up' && missing.length > 0) {
  // The inspector stays with this wrapper, which holds its port: to debug the platform, start
  // Node with --no-node-snapshot --no-lazy (no re-exec then) and --inspect.
  const kept = process.execArgv.filter((a) => !/^--(inspect|debug)/.test(a));
  const child = spawn(process.execPath, [...kept, ...missing, '--import', 'tsx', main, ...args], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 15 : 1)));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(main);
}
