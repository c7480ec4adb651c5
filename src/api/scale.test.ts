import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.ts';
import type { FunctionConfig } from '../core/types.ts';
import { Deployer } from '../deploy/deployer.ts';
import { Catalog } from '../dispatch/catalog.ts';
import { Capacity } from '../pool/capacity.ts';
import { PoolRegistry } from '../pool/registry.ts';
import { FakeRuntime, fakeInstanceSpec } from '../runtime/testing/fake-runtime.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import { applyPatch } from './scale.ts';

test('a scale change that arrives while a deploy of the function is under way is kept, not cleared by the deploy', async () => {
  const clock = new FakeClock();
  const store = openSqliteStore(':memory:');
  const runtime = new FakeRuntime();
  const catalog = new Catalog(store.functions);
  const pools = new PoolRegistry(
    { clock, runtime, capacity: new Capacity(100, 100_000), queueLimit: 10, newInstanceId: () => 'i', instanceSpec: fakeInstanceSpec },
    clock,
  );
  const deployer = new Deployer({ clock, store, runtime, catalog, pools, defaults: { memoryMb: 128, timeoutMs: 1000, idleTimeoutMs: 60_000 }, maxCodeBytes: 1_000_000 });
  const code = 'globalThis.__nimbus_module = { default: { fetch() {} } };';
  await deployer.deploy({ name: 'f', source: { kind: 'bundle', code }, config: { maxInstances: 10 } });

  // The next deploy stops in its check of the module until the patch has been sent.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const inspect = runtime.inspect.bind(runtime);
  let entered!: () => void;
  const inInspect = new Promise<void>((resolve) => (entered = resolve));
  runtime.inspect = async (c: string, config: FunctionConfig) => {
    entered();
    await held;
    return inspect(c, config);
  };
  const deploying = deployer.deploy({ name: 'f', source: { kind: 'bundle', code }, config: { memoryMb: 256 } });
  await inInspect;
  const patching = applyPatch({ catalog, deployer, store, clock, pools }, 'f', { maxInstances: 3 });
  release();
  await Promise.all([deploying, patching]);

  const served = catalog.peek('f');
  assert.equal(served?.version.config.memoryMb, 256, 'the deploy landed');
  assert.equal(served?.version.config.maxInstances, 3, 'the patch is in force');
  assert.deepEqual(await store.functions.getScale('f'), { maxInstances: 3 });
});
