#!/bin/sh
":" //; for a in "$@"; do if [ "$a" = up ]; then exec node --no-node-snapshot --no-lazy --harmony-rab-gsab-transfer "$0" "$@"; fi; done; exec node "$0" "$@"
// The `nimbus` command. It runs the build in dist/ (`npm run build`; `npm install` in a
// checkout makes it), or, in a checkout with NIMBUS_FROM_SOURCE=1, the TypeScript in src/
// through tsx, as the tests do.
//
// The platform (`nimbus up`) runs V8 isolates through isolated-vm, which needs Node started
// with --no-node-snapshot, and wants --no-lazy (V8 compiles a function's whole script at
// once, so its code cache holds all of it and a new instance runs its first request without
// compiling: docs/runtime.md, "Cold starts"), and --harmony-rab-gsab-transfer, which gives
// isolates ArrayBuffer.prototype.transfer (structuredClone's `transfer`, BYOB readers
// detaching), which is given on the command line only: set at run time it slows isolate
// starts (bench/README.md). This file is a shell script and a module at
// once: run as a command, the shell line above replaces itself (exec) with Node, given those
// flags when an argument is `up`, so the platform is one process that a Ctrl-C reaches once;
// other commands keep Node's startup snapshot and start faster. Run as `node bin/nimbus.mjs
// up` without --no-node-snapshot, `up` runs in a child Node with the flags; that child leads a
// process group of its own, so a Ctrl-C (SIGINT to the terminal's group) reaches it once,
// forwarded from here, and it stops by itself when this process is killed (its IPC closes).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';

const built = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const source = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const fromSource = process.env.NIMBUS_FROM_SOURCE === '1' || !existsSync(built);
if (fromSource && !existsSync(source)) {
  process.stderr.write(`nimbus: ${built} is missing: this install is incomplete; reinstall it, or run \`npm run build\` in a checkout\n`);
  process.exit(1);
}
const args = process.argv.slice(2);
const up = isUp(args);

if (up && !process.execArgv.includes('--no-node-snapshot')) {
  const missing = ['--no-node-snapshot', '--no-lazy', '--harmony-rab-gsab-transfer'].filter((flag) => !process.execArgv.includes(flag));
  // The inspector stays with this wrapper, which holds its port: to debug the platform, start
  // Node with --no-node-snapshot --no-lazy --harmony-rab-gsab-transfer (no re-exec then) and --inspect.
  const kept = process.execArgv.filter((a) => !/^--(inspect|debug)/.test(a));
  // tsx resolved from this checkout, not from the folder the command is run in
  const entry = fromSource ? ['--import', import.meta.resolve('tsx'), source] : [built];
  const child = spawn(process.execPath, [...kept, ...missing, ...entry, ...args], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'], detached: true });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 15)));
} else if (fromSource) {
  if (up) noLazy();
  const { register } = await import('tsx/esm/api');
  register();
  await import(source);
} else {
  if (up) noLazy();
  await import(built);
}

/** --no-lazy for the platform, set before any of its code is compiled (V8 takes it at run time). */
function noLazy() {
  if (!process.execArgv.includes('--no-lazy')) setFlagsFromString('--no-lazy');
}

/** Whether the command is `up`, after any flags that may stand before it (`nimbus --data X up`). */
function isUp(argv) {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) return a === 'up';
    if (!a.includes('=') && !['--json', '--help'].includes(a)) i++;
  }
  return false;
}
