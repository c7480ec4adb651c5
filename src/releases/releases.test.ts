import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../core/clock.ts';
import { isNimbusError, NimbusError } from '../core/errors.ts';
import { Deployer } from '../deploy/deployer.ts';
import { Catalog, type Target } from '../dispatch/catalog.ts';
import { Capacity } from '../pool/capacity.ts';
import { PoolRegistry } from '../pool/registry.ts';
import { FakeRuntime, fakeInstanceSpec } from '../runtime/testing/fake-runtime.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import { REDACTED } from './redact.ts';
import { Releases } from './releases.ts';
import { SecretBox } from './secret-box.ts';

function setup() {
  const clock = new FakeClock();
  const store = openSqliteStore(':memory:');
  const runtime = new FakeRuntime();
  const box = new SecretBox(Buffer.alloc(32, 1));
  const catalog = new Catalog(store.functions, { aliases: store.aliases, openSecrets: (fn, sealed) => box.openAll(fn, sealed) });
  const pools = new PoolRegistry(
    { clock, runtime, capacity: new Capacity(100, 100_000), queueLimit: 10, newInstanceId: () => 'i', instanceSpec: fakeInstanceSpec },
    clock,
  );
  const deployer = new Deployer({ clock, store, runtime, catalog, pools, defaults: { memoryMb: 128, timeoutMs: 1000, idleTimeoutMs: 60_000 }, maxCodeBytes: 1_000_000 });
  const releases = new Releases({ clock, store, catalog, pools, deployer, box });
  const deploy = (word: string, config?: Record<string, unknown>) =>
    deployer.deploy({ name: 'f', source: { kind: 'bundle', code: `globalThis.__nimbus_module = { default: { fetch() { return '${word}' } } };` }, config });
  const route = async (qualifier: string | undefined, id = 'id-1'): Promise<Target> => {
    const t = catalog.route('f', qualifier, id) ?? (await catalog.resolveTarget('f', qualifier, id));
    if (!t || t instanceof NimbusError) throw t ?? new Error('no target');
    return t;
  };
  return { store, catalog, pools, releases, deploy, route, box, deployer };
}

const served = (t: Target) => [t.deployed.version.version, t.alias];

test('an unqualified call follows live when it exists, else the latest; a qualifier reaches a version or an alias', async () => {
  const { releases, deploy, route, catalog } = setup();
  await deploy('one');
  await deploy('two');
  assert.deepEqual(served(await route(undefined)), [2, null]);
  await releases.setAlias('f', 'live', [{ version: 1, weight: 100 }]);
  assert.deepEqual(served(await route(undefined)), [1, 'live'], 'the next call follows the alias');
  assert.deepEqual(served(await route('2')), [2, null]);
  assert.deepEqual(served(await route('$LATEST')), [2, null]);
  assert.deepEqual(served(await route('live')), [1, 'live']);
  const unknown = await catalog.resolveTarget('f', 'canary', 'x');
  assert.ok(isNimbusError(unknown) && unknown.code === 'NIMBUS_ERR_ALIAS_NOT_FOUND');
  const missing = await catalog.resolveTarget('f', '9', 'x');
  assert.ok(isNimbusError(missing) && missing.code === 'NIMBUS_ERR_VERSION_NOT_FOUND');
  await releases.deleteAlias('f', 'live');
  assert.deepEqual(served(await route(undefined)), [2, null]);
});

test('a split picks by invocation id: the same id always gets the same version', async () => {
  const { releases, deploy, route } = setup();
  await deploy('one');
  await deploy('two');
  await releases.setAlias('f', 'live', [{ version: 1, weight: 50 }, { version: 2, weight: 50 }]);
  const seen = new Set<number>();
  for (let i = 0; i < 50; i++) {
    const v = (await route(undefined, `id-${i}`)).deployed.version.version;
    seen.add(v);
    assert.equal((await route(undefined, `id-${i}`)).deployed.version.version, v);
  }
  assert.deepEqual([...seen].sort(), [1, 2]);
});

test('rollback returns the alias to its previous target; with no previous it is refused', async () => {
  const { releases, deploy, route } = setup();
  await deploy('one');
  await deploy('two');
  await releases.setAlias('f', 'live', [{ version: 1, weight: 100 }]);
  await assert.rejects(releases.rollback('f', 'live'), (e) => isNimbusError(e) && e.code === 'NIMBUS_ERR_STATE_CONFLICT');
  await releases.setAlias('f', 'live', [{ version: 2, weight: 100 }]);
  await releases.rollback('f', 'live');
  assert.deepEqual(served(await route(undefined)), [1, 'live']);
  await assert.rejects(releases.setAlias('f', 'live', [{ version: 7, weight: 100 }]), (e) => isNimbusError(e) && e.code === 'NIMBUS_ERR_VERSION_NOT_FOUND');
  await assert.rejects(releases.rollback('f', 'nope'), (e) => isNimbusError(e) && e.code === 'NIMBUS_ERR_ALIAS_NOT_FOUND');
});

test('a version no alias serves and that is not the latest stops, min instances and all; a newly served one is warmed', async () => {
  const { releases, deploy, pools } = setup();
  const v1 = (await deploy('one', { minInstances: 1 })).version;
  const v2 = (await deploy('two', { minInstances: 1 })).version;
  assert.equal(pools.peek(v1), undefined, 'a deploy retires the versions nothing serves');
  await releases.setAlias('f', 'live', [{ version: 1, weight: 90 }, { version: 2, weight: 10 }]);
  assert.ok(pools.peek(v1), 'version 1 is served again: warmed');
  assert.ok(pools.peek(v2));
  const v3 = (await deploy('three', { minInstances: 1 })).version;
  assert.ok(pools.peek(v1) && pools.peek(v2) && pools.peek(v3), 'a deploy keeps the versions the alias serves');
  await releases.setAlias('f', 'live', [{ version: 3, weight: 100 }]);
  assert.equal(pools.peek(v1), undefined);
  assert.equal(pools.peek(v2), undefined);
  assert.ok(pools.peek(v3));
});

test('a secret makes a new version, opens for it alone, is redacted, and the store holds it sealed', async () => {
  const { releases, deploy, store, catalog, route } = setup();
  await deploy('one');
  const made = await releases.setSecret('f', 'DB_PASSWORD', 'pa55-word-1');
  assert.equal(made.version.version, 2);
  assert.deepEqual((await releases.secretNames('f')).names, ['DB_PASSWORD']);
  const sealed = await store.functions.getSecrets('f', 2);
  assert.ok(!JSON.stringify(sealed).includes('pa55-word-1'));
  const v2 = (await route(undefined)).deployed.version;
  assert.deepEqual(catalog.secretsFor(v2).env, { DB_PASSWORD: 'pa55-word-1' });
  assert.equal(catalog.secretsFor(v2).redact('pw=pa55-word-1'), `pw=${REDACTED}`);
  const v1 = (await route('1')).deployed.version;
  assert.deepEqual(catalog.secretsFor(v1).env, {}, 'the version from before has none');
  // A code deploy keeps the secrets; changing one makes another version; removing one too.
  const v3 = (await deploy('three')).version;
  assert.deepEqual(await store.functions.getSecrets('f', 3), sealed);
  assert.equal(catalog.secretsFor(v3).env.DB_PASSWORD, 'pa55-word-1');
  assert.equal((await releases.setSecret('f', 'DB_PASSWORD', 'pa55-word-2')).version.version, 4);
  assert.equal((await releases.removeSecret('f', 'DB_PASSWORD')).version.version, 5);
  assert.deepEqual((await releases.secretNames('f')).names, []);
  await assert.rejects(releases.removeSecret('f', 'DB_PASSWORD'), (e) => isNimbusError(e) && e.code === 'NIMBUS_ERR_SECRET_NOT_FOUND');
  await assert.rejects(releases.setSecret('f', '1BAD', 'x'), (e) => isNimbusError(e) && e.code === 'NIMBUS_ERR_VALIDATION');
  // Names the platform sets itself would be silently replaced in the env; __proto__ would be dropped.
  for (const name of ['EVENTS', 'NIMBUS_EVENTS_URL', 'NIMBUS_EVENTS_TOKEN', '__proto__']) {
    await assert.rejects(releases.setSecret('f', name, 'pa55-word-9'), (e) => isNimbusError(e) && e.code === 'NIMBUS_ERR_VALIDATION' && /reserved/.test(e.message), name);
  }
  assert.deepEqual((await releases.secretNames('f')).names, [], 'nothing was stored');
  // A fresh catalog (a restart) opens them from the store.
  const fresh = new Catalog(store.functions, { aliases: store.aliases, openSecrets: (fn, s) => new SecretBox(Buffer.alloc(32, 1)).openAll(fn, s) });
  const t = await fresh.resolveTarget('f', '4', 'x');
  assert.ok(t && !(t instanceof NimbusError));
  assert.equal(fresh.secretsFor(t.deployed.version).env.DB_PASSWORD, 'pa55-word-2');
});

test('concurrent secret changes and deploys all end up in the latest version (none undoes another)', async () => {
  const { releases, deploy, store, catalog } = setup();
  await deploy('one');
  const names = ['S1', 'S2', 'S3', 'S4', 'S5', 'S6'];
  const results = await Promise.all([...names.map((n) => releases.setSecret('f', n, `value-of-${n}`)), deploy('two')]);
  assert.equal(new Set(results.map((r) => r.version.version)).size, names.length + 1, 'one version each');
  assert.deepEqual((await releases.secretNames('f')).names, names);
  const latest = await catalog.resolve('f');
  assert.match(latest!.code, /'two'/, 'the code deploy is not undone by a secret change that read the version before it');
  assert.equal((await store.functions.get('f'))!.currentVersion, names.length + 2);
  await Promise.all([releases.removeSecret('f', 'S1'), releases.removeSecret('f', 'S2')]);
  assert.deepEqual((await releases.secretNames('f')).names, names.slice(2));
});

test("an app's secrets make new versions of the same files, as a function's do", async () => {
  const { releases, deployer } = setup();
  const app = { files: { 'server.sh': Buffer.from('exec serve').toString('base64') }, executable: ['server.sh'] };
  const first = await deployer.deploy({ name: 'web', source: { kind: 'app', app }, config: { runtime: 'app', app: { command: './server.sh' } } });
  const made = await releases.setSecret('web', 'DB_PASSWORD', 'pa55-word-1');
  assert.equal(made.version.version, 2);
  assert.equal(made.version.codeHash, first.version.codeHash, 'the same files');
  assert.deepEqual(made.version.config, first.version.config);
  assert.deepEqual((await releases.secretNames('web')).names, ['DB_PASSWORD']);
  assert.equal((await releases.removeSecret('web', 'DB_PASSWORD')).version.version, 3);
  await assert.rejects(releases.setSecret('web', 'PORT', 'pa55-word-1'), (e) => isNimbusError(e) && e.code === 'NIMBUS_ERR_VALIDATION' && /set by the platform/.test(e.message));
});

test('a live scale override applies to every version an alias serves, each in its own pool', async () => {
  const { releases, deploy, catalog, store, pools } = setup();
  await deploy('one', { maxInstances: 10 });
  await deploy('two', { maxInstances: 10 });
  await releases.setAlias('f', 'live', [{ version: 1, weight: 80 }, { version: 2, weight: 20 }]);
  const v1 = await catalog.resolveVersion('f', 1);
  assert.ok(v1);
  pools.poolFor(v1.version);
  await store.functions.setScale('f', { maxInstances: 3 }, 1);
  await catalog.applyScale('f', { maxInstances: 3 });
  assert.equal((await catalog.resolveVersion('f', 1))?.version.config.maxInstances, 3);
  assert.equal((await catalog.resolveVersion('f', 2))?.version.config.maxInstances, 3);
  assert.equal((await catalog.resolveVersion('f', 1))?.stored?.config.maxInstances, 10, 'the stored version is unchanged');
});
