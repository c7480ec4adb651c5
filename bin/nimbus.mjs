#!/usr/bin/env node
// The `nimbus` command. It runs the build in dist/ (`npm run build`; `npm install` in a
// checkout makes it), or, in a checkout with NIMBUS_FROM_SOURCE=1, the TypeScript in src/
// through tsx, as the tests do.
//
// The platform (`nimbus up`) runs V8 isolates through isolated-vm, which needs Node started
// with --no-node-snapshot, and wants --no-lazy (V8 compiles a function's whole script at
// once, so its code cache holds all of it and a new instance runs its first request without
// compiling: docs/runtime.md, "Cold starts"). When either is missing, `up` runs in a child
// Node with them. The child leads a process group of its own, so a Ctrl-C (SIGINT to the
// terminal's group) reaches it once, forwarded from here, and a second Ctrl-C is a second
// signal; it stops by itself when this process is killed (its IPC channel closes).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const built = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const source = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const fromSource = process.env.NIMBUS_FROM_SOURCE === '1' || !existsSync(built);
if (fromSource && !existsSync(source)) {
  process.stderr.write(`nimbus: ${built} is missing: this install is incomplete; reinstall it, or run \`npm run build\` in a checkout\n`);
  process.exit(1);
}
const args = process.argv.slice(2);
const missing = ['--no-node-snapshot', '--no-lazy'].filter((flag) => !process.execArgv.includes(flag));

if (missing.length > 0 && isUp(args)) {
  // The inspector stays with this wrapper, which holds its port: to debug the platform, start
  // Node with --no-node-snapshot --no-lazy (no re-exec then) and --inspect.
  const kept = process.execArgv.filter((a) => !/^--(inspect|debug)/.test(a));
  // tsx resolved from this checkout, not from the folder the command is run in
  const entry = fromSource ? ['--import', import.meta.resolve('tsx'), source] : [built];
  const child = spawn(process.execPath, [...kept, ...missing, ...entry, ...args], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'], detached: true });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 15)));
} else if (fromSource) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source);
} else {
  await import(built);
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
