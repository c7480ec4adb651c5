import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import type { ProcessIsolation } from './isolation.ts';
import { CONNECTOR_MOUNT, launchPlan } from './launch.ts';

const base: ProcessIsolation = {
  sandbox: 'none', namespaces: [], memoryLimit: 'none', processLimit: 'none', dieWithPlatform: 'none', network: 'host', hostNetworkAllowed: true, notes: [],
  cgroup: null, unshare: false, prlimit: false, setpriv: false, disableUserns: false,
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
    const plan = launchPlan({ ...base, sandbox: 'bubblewrap', setpriv: true, cgroup: { version: 1, memory: '/cg/m', pids: null, cpuacct: null, cpu: null } }, { ...input, cgroupProcs: ['/cg/m/i/cgroup.procs'] });
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

  it('bubblewrap: no namespaces of the sandbox\'s own where bubblewrap can forbid them', () => {
    const argv = (disableUserns: boolean) => launchPlan({ ...base, sandbox: 'bubblewrap', disableUserns }, input).args;
    assert.ok(argv(true).includes('--disable-userns'));
    assert.ok(!argv(false).includes('--disable-userns'));
  });

  const setprivSkip = spawnSync('setpriv', ['--pdeathsig', 'KILL', 'true']).status === 0 ? false : 'needs setpriv (util-linux) on this machine';
  it('the launcher with a death signal goes on only while its spawner is still its parent: one orphaned before the signal was set stops', { skip: setprivSkip }, () => {
    const plan = (parentPid: number, command: string) => launchPlan({ ...base, setpriv: true }, { ...input, command, parentPid });
    const run = (p: ReturnType<typeof plan>) => spawnSync(p.file, p.args, { env: p.env, encoding: 'utf8' });
    // spawned by this process: it runs
    const here = run(plan(process.pid, 'echo ran'));
    assert.deepEqual([here.status, here.stdout], [0, 'ran\n'], here.stderr);
    // its parent is not the one the plan names (as when the platform died before the signal was set): it stops
    const orphan = run(plan(process.pid + 1, 'echo ran'));
    assert.deepEqual([orphan.status, orphan.stdout], [125, '']);
  });

  it('a network namespace: bubblewrap unshares the net; an app is started by the connector, with the proxy variables and its IPC channel on fd 3', () => {
    const iso: ProcessIsolation = { ...base, sandbox: 'bubblewrap', network: 'namespace', hostNetworkAllowed: false };
    const plan = launchPlan(iso, { ...input, connector: { dir: '/opt/nimbus/connector', appPort: 8080, proxyPort: 3128 } });
    const argv = [plan.file, ...plan.args];
    const at = (flag: string, ...rest: string[]) => argv.findIndex((a, i) => a === flag && rest.every((r, j) => argv[i + 1 + j] === r));
    assert.ok(at('--unshare-net') !== -1);
    assert.ok(at('--ro-bind', '/opt/nimbus/connector', CONNECTOR_MOUNT) !== -1);
    // After --clearenv, or it would be cleared.
    assert.ok(at('--setenv', 'NODE_CHANNEL_FD', '3') > at('--clearenv'));
    assert.ok(at('--setenv', 'HTTPS_PROXY', 'http://127.0.0.1:3128') !== -1);
    assert.equal(plan.env.http_proxy, 'http://127.0.0.1:3128');
    assert.deepEqual(argv.slice(argv.indexOf('--') + 1), ['node', `${CONNECTOR_MOUNT}/connector.mjs`, '8080', '3128', 'python3 app.py']);
    // A node worker (no connector) gets the namespace but no proxy and no connector.
    const worker = [launchPlan(iso, input).file, ...launchPlan(iso, input).args];
    assert.ok(worker.includes('--unshare-net') && !worker.includes(CONNECTOR_MOUNT));
    assert.deepEqual(worker.slice(-3), ['/bin/sh', '-c', 'python3 app.py']);
  });

  it('on the host network (or without bubblewrap) there is neither a namespace nor a connector', () => {
    const connector = { dir: '/c', appPort: 8080, proxyPort: 3128 };
    for (const iso of [{ ...base, sandbox: 'bubblewrap' as const }, { ...base, network: 'namespace' as const }]) {
      const plan = launchPlan(iso, { ...input, connector });
      const argv = [plan.file, ...plan.args];
      assert.ok(!argv.includes('--unshare-net') && !argv.includes('node'));
      assert.equal(plan.env.HTTP_PROXY, undefined);
    }
  });

  it('without a memory cgroup the address space is limited by prlimit', () => {
    const plan = launchPlan({ ...base, prlimit: true, unshare: true }, input);
    assert.deepEqual([plan.file, ...plan.args].slice(0, 3), ['prlimit', `--as=${64 << 20}`, '--']);
    assert.ok(plan.args.includes('--kill-child=SIGKILL'));
  });
});
