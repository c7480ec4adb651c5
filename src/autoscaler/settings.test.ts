import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NimbusError } from '../core/errors.ts';
import type { FunctionConfig } from '../core/types.ts';
import { SCALING_DEFAULTS, makeSettings, settingsFromConfig } from './settings.ts';

const config: FunctionConfig = {
  memoryMb: 128,
  timeoutMs: 30_000,
  cpuLimitMs: 1_000,
  env: {},
  concurrency: 20,
  targetConcurrency: 10,
  minInstances: 0,
  maxInstances: 50,
  idleTimeoutMs: 300_000,
  runtime: 'isolate',
};

function validationField(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof NimbusError);
    assert.equal(err.code, 'NIMBUS_ERR_VALIDATION');
    return String(err.extra.field);
  }
  assert.fail('expected a validation error');
}

test('settingsFromConfig maps the function config and fills the documented defaults', () => {
  const s = settingsFromConfig(config);
  assert.deepEqual(s, {
    targetConcurrency: 10,
    concurrencyLimit: 20,
    minInstances: 0,
    maxInstances: 50,
    scaleToZeroAfterMs: 300_000,
    scaleDownDelayMs: 30_000,
    stableWindowMs: 60_000,
    panicWindowMs: 6_000,
    panicThreshold: 2,
    maxScaleUpRate: 1000,
    maxScaleDownRate: 2,
    activationScale: 1,
  });
  assert.ok(Object.isFrozen(s));
  assert.ok(Object.isFrozen(SCALING_DEFAULTS));
  assert.equal(settingsFromConfig({ ...config, scaleDownDelayMs: 0 }).scaleDownDelayMs, 0);
});

test('platform overrides the knobs and its instance cap lowers maxInstances', () => {
  const s = settingsFromConfig(config, { stableWindowMs: 30_000, panicThreshold: 3, maxTotalInstances: 8 });
  assert.equal(s.stableWindowMs, 30_000);
  assert.equal(s.panicThreshold, 3);
  assert.equal(s.panicWindowMs, 6_000);
  assert.equal(s.maxInstances, 8);
  assert.equal(settingsFromConfig(config, { maxTotalInstances: 1000 }).maxInstances, 50);
});

test('nonsense is rejected naming the field the user wrote', () => {
  assert.equal(validationField(() => settingsFromConfig({ ...config, targetConcurrency: 30 })), 'targetConcurrency');
  assert.equal(validationField(() => settingsFromConfig({ ...config, targetConcurrency: 0 })), 'targetConcurrency');
  assert.equal(validationField(() => settingsFromConfig({ ...config, concurrency: 0, targetConcurrency: 0.5 })), 'concurrency');
  assert.equal(validationField(() => settingsFromConfig({ ...config, minInstances: 60 })), 'minInstances');
  assert.equal(validationField(() => settingsFromConfig({ ...config, minInstances: -1 })), 'minInstances');
  assert.equal(validationField(() => settingsFromConfig({ ...config, maxInstances: 0 })), 'maxInstances');
  assert.equal(validationField(() => settingsFromConfig({ ...config, maxInstances: 2.5 })), 'maxInstances');
  assert.equal(validationField(() => settingsFromConfig({ ...config, idleTimeoutMs: -5 })), 'idleTimeoutMs');
  assert.equal(validationField(() => settingsFromConfig({ ...config, idleTimeoutMs: Number.NaN })), 'idleTimeoutMs');
  assert.equal(validationField(() => settingsFromConfig({ ...config, scaleDownDelayMs: -1 })), 'scaleDownDelayMs');
  assert.equal(validationField(() => settingsFromConfig({ ...config, scaleDownDelayMs: 3_600_001 })), 'scaleDownDelayMs');
  assert.equal(validationField(() => settingsFromConfig(config, { panicWindowMs: 120_000 })), 'panicWindowMs');
  assert.equal(validationField(() => settingsFromConfig(config, { stableWindowMs: 10 })), 'stableWindowMs');
  assert.equal(validationField(() => settingsFromConfig(config, { panicThreshold: 0.5 })), 'panicThreshold');
  assert.equal(validationField(() => settingsFromConfig(config, { maxScaleUpRate: 1 })), 'maxScaleUpRate');
  assert.equal(validationField(() => settingsFromConfig(config, { maxScaleDownRate: 0.5 })), 'maxScaleDownRate');
  assert.equal(validationField(() => settingsFromConfig(config, { activationScale: 0 })), 'activationScale');
});

test('the message says what is wrong and what to do', () => {
  assert.throws(
    () => settingsFromConfig({ ...config, targetConcurrency: 30 }),
    /targetConcurrency 30 is above the hard per-instance limit concurrency=20; lower the target or raise the limit/,
  );
  assert.throws(() => makeSettings({ targetConcurrency: 1, concurrencyLimit: 1, minInstances: 3, maxInstances: 2, scaleToZeroAfterMs: 0 }),
    /minInstances 3 is above maxInstances=2/);
});
