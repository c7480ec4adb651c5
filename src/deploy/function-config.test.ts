import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isNimbusError } from '../core/errors.ts';
import { MEMORY_MB } from '../core/types.ts';
import { configFromFlags, inFlagWords } from '../cli/commands/deploy.ts';
import { parseArgs, UsageError } from '../cli/args.ts';
import { loadConfig } from '../config/config.ts';
import { resolveConfig } from './function-config.ts';

const DEFAULTS = { memoryMb: 128, timeoutMs: 30_000, idleTimeoutMs: 60_000 };
const invalid = (field: string, why: RegExp) => (e: unknown) => isNimbusError(e) && e.code === 'NIMBUS_ERR_VALIDATION' && e.extra.field === field && why.test(e.message);

describe('function settings', () => {
  it('runtime "app": a one-line command, paths that are paths, defaults, and a redeploy keeps what it does not change', () => {
    const app = resolveConfig({ runtime: 'app', app: { command: 'python3 app.py' } }, null, DEFAULTS);
    assert.deepEqual(app.app, { command: 'python3 app.py', eventPath: '/', startTimeoutMs: 10_000, graceMs: 5_000 });
    const again = resolveConfig({ app: { readinessPath: '/health' } }, app, DEFAULTS);
    assert.deepEqual([again.runtime, again.app?.command, again.app?.readinessPath], ['app', 'python3 app.py', '/health']);
    assert.equal(resolveConfig({}, null, DEFAULTS).app, undefined);
    assert.throws(() => resolveConfig({ runtime: 'app' }, null, DEFAULTS), invalid('app.command', /one-line start command/));
    assert.throws(() => resolveConfig({ runtime: 'app', app: { command: 'a\nb' } }, null, DEFAULTS), invalid('app.command', /one-line/));
    assert.throws(() => resolveConfig({ runtime: 'app', app: { command: 'x', eventPath: 'events' } }, null, DEFAULTS), invalid('app.eventPath', /starting with "\/"/));
    assert.throws(() => resolveConfig({ runtime: 'app', app: { command: 'x', readinessPath: '/a b' } }, null, DEFAULTS), invalid('app.readinessPath', /no spaces/));
    assert.throws(() => resolveConfig({ runtime: 'app', app: { command: 'x', shell: 'bash' } }, null, DEFAULTS), invalid('app.shell', /not an app setting/));
    assert.throws(() => resolveConfig({ app: { command: 'x' } }, null, DEFAULTS), invalid('app', /only for runtime "app"/));
    assert.throws(() => resolveConfig({ runtime: 'app', app: { command: 'x' }, env: { PORT: '1' } }, null, DEFAULTS), invalid('env.PORT', /set by the platform/));
    assert.throws(() => resolveConfig({ runtime: 'go' }, null, DEFAULTS), invalid('runtime', /"isolate", "node" or "app"/));
  });

  it('memory has one range for a deploy and for the platform default', () => {
    assert.equal(resolveConfig({ memoryMb: MEMORY_MB.min }, null, DEFAULTS).memoryMb, 16);
    assert.equal(resolveConfig({ memoryMb: MEMORY_MB.max }, null, DEFAULTS).memoryMb, 8192);
    assert.throws(() => resolveConfig({ memoryMb: 10 }, null, DEFAULTS), invalid('memoryMb', /from 16 to 8192/));
    assert.throws(() => loadConfig({}, ['--default-memory', '10'], '/'), /from 16 to 8192/);
    assert.equal(loadConfig({}, ['--default-memory', '16'], '/').defaultMemoryMb, 16);
  });

  it("refuses variables the platform sets itself (NIMBUS_*, EVENTS) instead of silently replacing them", () => {
    for (const name of ['NIMBUS_EVENTS_URL', 'NIMBUS_EVENTS_TOKEN', 'NIMBUS_ANYTHING', 'EVENTS']) {
      assert.throws(() => resolveConfig({ env: { [name]: 'x' } }, null, DEFAULTS), invalid(`env.${name}`, /reserved/), name);
    }
    assert.deepEqual(resolveConfig({ env: { EVENTS_TOPIC: 'orders', MY_NIMBUS: 'ok' } }, null, DEFAULTS).env, { EVENTS_TOPIC: 'orders', MY_NIMBUS: 'ok' });
  });

  it('refuses a variable named __proto__ (as parsed from a JSON body) instead of dropping it', () => {
    const env = JSON.parse('{"__proto__": "x", "A": "1"}') as Record<string, unknown>;
    assert.throws(() => resolveConfig({ env }, null, DEFAULTS), invalid('env.__proto__', /reserved/));
  });

  it('--memory is MB when bare, a size with a unit, and a usage error otherwise', () => {
    const memory = (v: string) => configFromFlags(parseArgs(['--memory', v], new Set())).memoryMb;
    assert.equal(memory('256'), 256);
    // Units in either case, with or without the b, as `128MB` always was.
    for (const [v, mb] of [['128', 128], ['1g', 1024], ['1gb', 1024], ['1G', 1024], ['512m', 512], ['512MB', 512], ['512 mb', 512], ['1.5g', 1536], ['2048k', 2]] as const) {
      assert.throws(() => memory('x' + v), UsageError);
      if (mb >= 16) assert.equal(memory(v), mb, v);
    }
    for (const v of ['-5', 'lots', '1gigabyte', '5 s']) assert.throws(() => memory(v), (e: Error) => e instanceof UsageError && /^--memory .* give MB/.test(e.message), v);
    // Out of range: the flag and the range in MB, not a config field name.
    for (const v of ['10', '100b', '2048k', '9g']) {
      assert.throws(() => memory(v), (e: Error) => e instanceof UsageError && /^--memory \S+ is \d+ MB; an instance's memory is from 16 MB to 8192 MB/.test(e.message) && !/memoryMb/.test(e.message), v);
    }
  });

  it("the platform's refusals of a deploy flag are worded with the flag and its unit, not the config field", () => {
    assert.equal(inFlagWords('config.timeoutMs: must be <= 900000', 'config.timeoutMs'), '--timeout: must be <= 900000 ms');
    assert.equal(inFlagWords('config.memoryMb: must be >= 16', 'config.memoryMb'), '--memory: must be >= 16 MB');
    assert.equal(inFlagWords('cpuLimitMs 20000 cannot exceed timeoutMs (10000)', 'cpuLimitMs'), '--cpu 20000 ms cannot exceed --timeout (10000 ms)');
    assert.equal(inFlagWords('minInstances 5 cannot exceed maxInstances (2)', 'minInstances'), '--min 5 cannot exceed --max (2)');
    assert.equal(inFlagWords('targetConcurrency 12 cannot exceed concurrency (10)', 'targetConcurrency'), '--target 12 cannot exceed --concurrency (10)');
    assert.equal(inFlagWords('function name "a b" is invalid', 'name'), null);
  });

  it('scaleDownDelayMs: set by --scale-down-delay, kept on redeploy, absent from a config that never set it', () => {
    const flags = (...argv: string[]) => configFromFlags(parseArgs(argv, new Set()));
    assert.equal(flags('--scale-down-delay', '45s').scaleDownDelayMs, 45_000);
    assert.equal(flags('--scale-down-delay', '0').scaleDownDelayMs, 0);
    const set = resolveConfig({ scaleDownDelayMs: 45_000 }, null, DEFAULTS);
    assert.equal(set.scaleDownDelayMs, 45_000);
    assert.equal(resolveConfig({ memoryMb: 256 }, set, DEFAULTS).scaleDownDelayMs, 45_000);
    // A version that never set it keeps its exact config (and so its hash); the autoscaler gives it the default.
    assert.ok(!('scaleDownDelayMs' in resolveConfig({}, null, DEFAULTS)));
    assert.throws(() => resolveConfig({ scaleDownDelayMs: -1 }, null, DEFAULTS), invalid('scaleDownDelayMs', /from 0 to 3600000/));
    assert.throws(() => resolveConfig({ scaleDownDelayMs: 3_600_001 }, null, DEFAULTS), invalid('scaleDownDelayMs', /from 0 to 3600000/));
    assert.equal(inFlagWords('scaleDownDelayMs 5000000 must be a whole number from 0 to 3600000', 'scaleDownDelayMs'),
      '--scale-down-delay 5000000 ms must be a whole number from 0 to 3600000');
  });
});
