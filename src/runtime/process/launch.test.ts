import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProcessIsolation } from './isolation.ts';
import { launchPlan } from './launch.ts';

const base: ProcessIsolation = {
  sandbox: 'none', namespaces: [], memoryLimit: 'none', processLimit: 'none', dieWithPlatform: 'none', network: 'host', hostNetworkAllowed: true, notes: [],
  cgroup: null, unshare: false, prlimit: false, setpriv: false,
};
const input = { appDir: '/apps/abc', command: 'python3 app.py', env: { PORT: '5000', HOST: '127.0.0.1', GREETING: 'hi' }, memoryBytes: 64 << 20, cgroupProcs: [] };

describe('launch plan', () => {
  it('with nothing to enforce: the command in the app directory, the declared env and no other of the host', () => {
    const plan = launchPlan(base, input);
    assert.deepEqual([plan.file, ...plan.args], ['/bin/sh', '-c', 'python3 app.py']);
    assert.equal(plan.cwd, '/apps/abc');
    assert.deepEqual(Object.keys(plan.env).sort(), ['GREETING', 'HOME', 'HOST', 'LANG', 'PATH', 'PORT']);
  });

  it('bubblewrap: the app read-only at /app, a private /tmp, a cleared env, dies with its parent; the launcher joins the cgroups first', () => {
    const plan = launchPlan({ ...base, sandbox: 'bubblewrap', setpriv: true, cgroup: { version: 1, memory: '/cg/m', pids: null } }, { ...input, cgroupProcs: ['/cg/m/i/cgroup.procs'] });
    const argv = [plan.file, ...plan.args];
    assert.deepEqual(argv.slice(0, 2), ['/bin/sh', '-c']);
    assert.deepEqual(argv.slice(3, 6), ['nimbus-launch', '1', '/cg/m/i/cgroup.procs']);
    const bwrap = argv.indexOf('bwrap');
    assert.ok(bwrap > argv.indexOf('setpriv'));
    const at = (flag: string, ...rest: string[]) => argv.findIndex((a, i) => a === flag && rest.every((r, j) => argv[i + 1 + j] === r)) !== -1;
    assert.ok(at('--ro-bind', '/apps/abc', '/app'));
    assert.ok(at('--tmpfs', '/tmp'));
    assert.ok(at('--die-with-parent'));
    assert.ok(at('--unshare-pid'));
    assert.ok(at('--clearenv'));
    assert.ok(at('--setenv', 'GREETING', 'hi'));
    assert.deepEqual(argv.slice(-3), ['/bin/sh', '-c', 'python3 app.py']);
    // Nothing of the host's files but system directories: no bind of / or of a data directory.
    assert.ok(!at('--ro-bind', '/', '/') && !at('--bind', '/', '/'));
  });

  it('without a memory cgroup the address space is limited by prlimit', () => {
    const plan = launchPlan({ ...base, prlimit: true, unshare: true }, input);
    assert.deepEqual([plan.file, ...plan.args].slice(0, 3), ['prlimit', `--as=${64 << 20}`, '--']);
    assert.ok(plan.args.includes('--kill-child=SIGKILL'));
  });
});
