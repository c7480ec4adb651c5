import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.ts';
import { Deployer } from '../deploy/deployer.ts';
import { Capacity } from '../pool/capacity.ts';
import { PoolRegistry } from '../pool/registry.ts';
import { FakeRuntime, fakeInstanceSpec } from '../runtime/testing/fake-runtime.ts';
import { deployInput, SAMPLE_CONFIG } from '../store/contract.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import { Catalog } from './catalog.ts';

function setup() {
  const clock = new FakeClock();
  const store = openSqliteStore(':memory:');
  const runtime = new FakeRuntime();
  const catalog = new Catalog(store.functions);
  const pools = new PoolRegistry(
    {
      clock,
      runtime,
      capacity: new Capacity(100, 100_000),
      queueLimit: 10,
      newInstanceId: () => 'i',
      instanceSpec: fakeInstanceSpec,
    },
    clock,
  );
  const deployer = new Deployer({ clock, store, runtime, catalog, pools, defaults: { memoryMb: 128, timeoutMs: 1000, idleTimeoutMs: 60_000 }, maxCodeBytes: 1_000_000 });
  const code = 'globalThis.__nimbus_module = { default: { fetch() {} } };';
  const deploy = (config?: Record<string, unknown>) => deployer.deploy({ name: 'f', source: { kind: 'bundle', code }, config });
  const scale = async (override: Record<string, number>) => {
    await store.functions.setScale('f', override, clock.now());
    return catalog.applyScale('f', override);
  };
  return { store, catalog, deploy, scale };
}

test('the catalog serves the version with the live override; a reload sees it too', async () => {
  const { store, catalog, deploy, scale } = setup();
  await deploy({ maxInstances: 10, minInstances: 0 });
  const next = await scale({ maxInstances: 3 });
  assert.equal(next?.version.config.maxInstances, 3);
  assert.equal(next?.stored?.config.maxInstances, 10);
  assert.equal(catalog.peek('f')?.version.config.maxInstances, 3);
  const fresh = new Catalog(store.functions);
  assert.equal((await fresh.resolve('f'))?.version.config.maxInstances, 3);
  assert.equal((await fresh.resolve('f'))?.version.version, 1);
});

test('a deploy carries live settings it does not set into the new version and clears the override', async () => {
  const { store, catalog, deploy, scale } = setup();
  await deploy({ maxInstances: 10, minInstances: 0 });
  await scale({ maxInstances: 3, minInstances: 1 });
  const out = await deploy({ memoryMb: 256 });
  assert.equal(out.created, true);
  assert.equal(out.version.config.maxInstances, 3);
  assert.equal(out.version.config.minInstances, 1);
  assert.equal(await store.functions.getScale('f'), null);
  assert.equal(catalog.peek('f')?.version.config.maxInstances, 3);
});

test('a deploy that restates the version config wins over the override (no new version, override gone)', async () => {
  const { store, catalog, deploy, scale } = setup();
  await deploy({ maxInstances: 10 });
  await scale({ maxInstances: 5 });
  const out = await deploy({ maxInstances: 10 });
  assert.equal(out.created, false);
  assert.equal(out.version.version, 1);
  assert.equal(await store.functions.getScale('f'), null);
  assert.equal(catalog.peek('f')?.version.config.maxInstances, 10);
});

test('targetProblem: a target is refused for the function, version or alias it names that is not there; an alias made behind the catalog is found', async () => {
  const clock = new FakeClock(1_700_000_000_000);
  const store = openSqliteStore(':memory:');
  await store.functions.deploy(deployInput('fn', 'v1', clock.now(), SAMPLE_CONFIG));
  const catalog = new Catalog(store.functions, { aliases: store.aliases, openSecrets: (_, sealed) => ({ ...sealed }) });
  const codeOf = async (target: string) => (await catalog.targetProblem(target))?.code ?? null;
  assert.equal(await codeOf('fn'), null);
  assert.equal(await codeOf('fn@1'), null);
  assert.equal(await codeOf('fn@$LATEST'), null);
  assert.equal(await codeOf('nosuch'), 'NIMBUS_ERR_FUNCTION_NOT_FOUND');
  assert.equal(await codeOf('nosuch@1'), 'NIMBUS_ERR_FUNCTION_NOT_FOUND');
  assert.equal(await codeOf('fn@2'), 'NIMBUS_ERR_VERSION_NOT_FOUND');
  assert.equal(await codeOf('fn@live'), 'NIMBUS_ERR_ALIAS_NOT_FOUND');
  assert.equal(await codeOf('fn@'), 'NIMBUS_ERR_ALIAS_NOT_FOUND');
  // written to the store as another node would, without telling this catalog
  await store.aliases.set('fn', 'live', [{ version: 1, weight: 100 }], clock.now());
  assert.equal(await codeOf('fn@live'), null);
});
