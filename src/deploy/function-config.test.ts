import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isNimbusError } from '../core/errors.ts';
import { MEMORY_MB } from '../core/types.ts';
import { configFromFlags } from '../cli/commands/deploy.ts';
import { parseArgs, UsageError } from '../cli/args.ts';
import { loadConfig } from '../config/config.ts';
import { resolveConfig } from './function-config.ts';

const DEFAULTS = { memoryMb: 128, timeoutMs: 30_000, idleTimeoutMs: 60_000 };
const invalid = (field: string, why: RegExp) => (e: unknown) => isNimbusError(e) && e.code === 'NIMBUS_ERR_VALIDATION' && e.extra.field === field && why.test(e.message);

describe('function settings', () => {
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

  it('--memory is MB when bare, a size with a unit, and a usage error otherwise', () => {
    const memory = (v: string) => configFromFlags(parseArgs(['--memory', v], new Set())).memoryMb;
    assert.equal(memory('256'), 256);
    assert.equal(memory('1gb'), 1024);
    assert.equal(memory('512MB'), 512);
    for (const v of ['1.5', '-5', 'lots', '100b']) assert.throws(() => memory(v), (e: Error) => e instanceof UsageError && /--memory .* give MB/.test(e.message), v);
  });
});
