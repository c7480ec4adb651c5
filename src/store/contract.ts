/**
 * The contract every Store implementation must pass. An implementation's test file
 * calls storeContract('name', open) — see sqlite/sqlite-store.test.ts.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../core/ids.ts';
import type { FunctionConfig, InvocationRecord } from '../core/types.ts';
import { byIdNewestFirst, matchesQuery } from './invocation-query.ts';
import type { DeployInput, InvocationRepo, RecordPack, Store } from './ports.ts';
import { ArrayPack, packFor } from './record-pack.ts';

export const SAMPLE_CONFIG: FunctionConfig = {
  memoryMb: 128,
  timeoutMs: 10_000,
  cpuLimitMs: 10_000,
  env: { GREETING: 'hi' },
  concurrency: 8,
  targetConcurrency: 6,
  minInstances: 0,
  maxInstances: 10,
  idleTimeoutMs: 60_000,
  runtime: 'isolate',
};

export function deployInput(name: string, code: string, now = 1_000, config = SAMPLE_CONFIG): DeployInput {
  return {
    name,
    hash: `h:${code}:${JSON.stringify(config)}`,
    codeHash: `c:${code}`,
    code,
    sourceMap: null,
    config,
    exports: { fetch: true, handler: false },
    now,
  };
}

export function sampleRecord(id: string, overrides: Partial<InvocationRecord> = {}): InvocationRecord {
  return {
    id,
    functionName: 'hello',
    version: 1,
    alias: null,
    trigger: 'http',
    triggerSource: 'GET /fn/hello/',
    startedAt: 1_000,
    durationMs: 1.5,
    billedMs: 2,
    memoryMb: 128,
    status: 'success',
    statusCode: 200,
    errorCode: null,
    errorName: null,
    errorMessage: null,
    coldStart: false,
    initMs: 0,
    instanceId: 'i1',
    requestBytes: 0,
    responseBytes: 5,
    attempt: 1,
    logs: [{ t: 1_000, level: 'info', msg: 'hi' }],
    logsTruncated: false,
    cpuMs: 0.8,
    peakMemoryBytes: 2_000_000,
    occupancyMs: 1.5,
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    parentSpanId: null,
    ...overrides,
  };
}

/** A pack of `records` from `repo`, for append(). */
export function packOf(repo: Pick<InvocationRepo, 'newPack'>, records: readonly InvocationRecord[]): RecordPack {
  const pack = packFor(repo);
  for (const r of records) pack.add(r);
  return pack;
}

/** A RecordPack that keeps the records as they are: for stand-in repos in tests. */
export function memoryPack(): RecordPack {
  return new ArrayPack();
}

export function storeContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('first deploy creates version 1 and makes it current', async () => {
      const out = await store.functions.deploy(deployInput('hello', 'A'));
      assert.equal(out.created, true);
      assert.equal(out.version.version, 1);
      assert.equal(out.version.codeBytes, 1);
      assert.deepEqual(out.version.config, SAMPLE_CONFIG);
      assert.deepEqual(out.version.exports, { fetch: true, handler: false });
      const info = await store.functions.get('hello');
      assert.equal(info?.currentVersion, 1);
      assert.equal(await store.functions.getCode('c:A'), 'A');
    });

    it('redeploying the current hash is a no-op; new code makes the next version', async () => {
      await store.functions.deploy(deployInput('hello', 'A', 1_000));
      const same = await store.functions.deploy(deployInput('hello', 'A', 2_000));
      assert.equal(same.created, false);
      assert.equal(same.version.version, 1);
      const next = await store.functions.deploy(deployInput('hello', 'B', 3_000));
      assert.equal(next.created, true);
      assert.equal(next.version.version, 2);
      const info = await store.functions.get('hello');
      assert.equal(info?.currentVersion, 2);
      assert.equal(info?.createdAt, 1_000);
      assert.equal(info?.updatedAt, 3_000);
      assert.deepEqual((await store.functions.listVersions('hello')).map((v) => v.version), [2, 1]);
      // Going back to old code is a change too: a new version, never a silent rewind.
      const back = await store.functions.deploy(deployInput('hello', 'A', 4_000));
      assert.equal(back.version.version, 3);
    });

    it('concurrent deploys of one function get consecutive, distinct versions', async () => {
      const outs = await Promise.all(['A', 'B', 'C', 'D', 'E'].map((c) => store.functions.deploy(deployInput('f', c))));
      assert.deepEqual(outs.map((o) => o.version.version).sort(), [1, 2, 3, 4, 5]);
      assert.equal((await store.functions.listVersions('f')).length, 5);
    });

    it('lists functions by name and finds nothing for unknown names', async () => {
      await store.functions.deploy(deployInput('b', 'X'));
      await store.functions.deploy(deployInput('a', 'Y'));
      assert.deepEqual((await store.functions.list()).map((f) => f.name), ['a', 'b']);
      assert.equal(await store.functions.get('nope'), null);
      assert.equal(await store.functions.getVersion('a', 9), null);
      assert.equal(await store.functions.getCode('nope'), null);
    });

    it('delete removes the function and its versions, keeping code other functions share', async () => {
      await store.functions.deploy(deployInput('one', 'shared'));
      await store.functions.deploy(deployInput('two', 'shared'));
      await store.functions.deploy(deployInput('two', 'own'));
      assert.equal(await store.functions.delete('two'), true);
      assert.equal(await store.functions.get('two'), null);
      assert.deepEqual(await store.functions.listVersions('two'), []);
      assert.equal(await store.functions.getCode('c:shared'), 'shared');
      assert.equal(await store.functions.getCode('c:own'), null);
      assert.equal(await store.functions.delete('two'), false);
      // A deleted name starts again at version 1.
      assert.equal((await store.functions.deploy(deployInput('two', 'again'))).version.version, 1);
    });

    it('keeps a source map per version, also when versions share their code', async () => {
      await store.functions.deploy(deployInput('m', 'M'));
      assert.equal(await store.functions.getSourceMap('m', 1), null, 'deployed without a map');
      await store.functions.deploy({ ...deployInput('m', 'M'), hash: 'h:M+map1', sourceMap: '{"version":3,"n":1}' });
      await store.functions.deploy({ ...deployInput('other', 'M'), sourceMap: '{"version":3,"n":2}' });
      assert.equal(await store.functions.getSourceMap('m', 2), '{"version":3,"n":1}');
      assert.equal(await store.functions.getSourceMap('other', 1), '{"version":3,"n":2}', 'same code, its own map');
      assert.equal(await store.functions.getSourceMap('m', 1), null);
      assert.equal(await store.functions.getSourceMap('nope', 1), null);
    });

    it('keeps a live scale override per function; a deploy or delete clears it', async () => {
      assert.equal(await store.functions.setScale('nope', { maxInstances: 3 }, 1), false);
      await store.functions.deploy(deployInput('s', 'A'));
      assert.equal(await store.functions.getScale('s'), null);
      assert.equal(await store.functions.setScale('s', { maxInstances: 3, minInstances: 1 }, 2), true);
      assert.deepEqual(await store.functions.getScale('s'), { maxInstances: 3, minInstances: 1 });
      await store.functions.setScale('s', { targetConcurrency: 4 }, 3);
      assert.deepEqual(await store.functions.getScale('s'), { targetConcurrency: 4 }, 'replaced, not merged');
      // Any deploy supersedes it (the deployer folds the live settings into its config)…
      assert.equal((await store.functions.deploy(deployInput('s', 'A'))).created, false);
      assert.equal(await store.functions.getScale('s'), null);
      // …also one that creates a version.
      await store.functions.setScale('s', { targetConcurrency: 4 }, 3);
      await store.functions.deploy(deployInput('s', 'B'));
      assert.equal(await store.functions.getScale('s'), null);
      await store.functions.setScale('s', { maxInstances: 2 }, 4);
      await store.functions.setScale('s', {}, 5);
      assert.equal(await store.functions.getScale('s'), null, '{} clears');
      await store.functions.setScale('s', { maxInstances: 2 }, 6);
      await store.functions.delete('s');
      await store.functions.deploy(deployInput('s', 'C'));
      assert.equal(await store.functions.getScale('s'), null, 'a deleted function leaves no override behind');
    });

    it('keeps aliases per function: set moves the old routes to previous; delete of the function removes them', async () => {
      assert.equal(await store.aliases.set('nope', 'live', [{ version: 1, weight: 100 }], 1), null);
      await store.functions.deploy(deployInput('r', 'A'));
      await store.functions.deploy(deployInput('r', 'B'));
      assert.deepEqual(await store.aliases.list('r'), []);
      assert.equal(await store.aliases.get('r', 'live'), null);
      const first = await store.aliases.set('r', 'live', [{ version: 1, weight: 100 }], 10);
      assert.deepEqual(first, { functionName: 'r', name: 'live', routes: [{ version: 1, weight: 100 }], previous: null, updatedAt: 10 });
      const split = await store.aliases.set('r', 'live', [{ version: 1, weight: 90 }, { version: 2, weight: 10 }], 20);
      assert.deepEqual(split?.routes, [{ version: 1, weight: 90 }, { version: 2, weight: 10 }], 'routes kept in order');
      assert.deepEqual(split?.previous, [{ version: 1, weight: 100 }]);
      assert.equal(split?.updatedAt, 20);
      await store.aliases.set('r', 'beta', [{ version: 2, weight: 100 }], 30);
      assert.deepEqual((await store.aliases.list('r')).map((a) => a.name), ['beta', 'live']);
      assert.deepEqual(await store.aliases.get('r', 'live'), split);
      assert.equal(await store.aliases.delete('r', 'beta'), true);
      assert.equal(await store.aliases.delete('r', 'beta'), false);
      await store.functions.delete('r');
      await store.functions.deploy(deployInput('r', 'A'));
      assert.deepEqual(await store.aliases.list('r'), [], 'a deleted function leaves no alias behind');
    });

    it('keeps sealed secrets with their version, as given', async () => {
      await store.functions.deploy(deployInput('s', 'A'));
      assert.deepEqual(await store.functions.getSecrets('s', 1), {});
      await store.functions.deploy({ ...deployInput('s', 'A'), hash: 'h:A+secrets', secrets: { DB: 'v1.sealed-1', KEY: 'v1.sealed-2' } });
      assert.deepEqual(await store.functions.getSecrets('s', 2), { DB: 'v1.sealed-1', KEY: 'v1.sealed-2' });
      assert.deepEqual(await store.functions.getSecrets('s', 1), {}, 'the earlier version keeps its own (none)');
      assert.deepEqual(await store.functions.getSecrets('s', 9), {});
      assert.deepEqual(await store.functions.getSecrets('nope', 1), {});
    });

    it('a record keeps the alias it came through', async () => {
      const keyed = sampleRecord('01alias', { alias: 'live', version: 3 });
      await store.invocations.insertMany([keyed]);
      assert.deepEqual(await store.invocations.get('01alias'), keyed);
      const fresh = sampleRecord(newId(5_000), { alias: 'canary', startedAt: 5_000 });
      await store.invocations.append(packOf(store.invocations, [fresh]));
      assert.deepEqual(await store.invocations.get(fresh.id), fresh);
    });

    it('a record keeps the sockets it used, keyed and appended; one that used none has no sockets field', async () => {
      const keyed = sampleRecord('01sock', { sockets: { opened: 2, bytesIn: 5_000_000_000, bytesOut: 123 } });
      await store.invocations.insertMany([keyed]);
      assert.deepEqual(await store.invocations.get('01sock'), keyed);
      const fresh = sampleRecord(newId(6_000), { startedAt: 6_000, sockets: { opened: 0, bytesIn: 10, bytesOut: 4 } });
      const none = sampleRecord(newId(6_001), { startedAt: 6_001 });
      await store.invocations.append(packOf(store.invocations, [fresh, none]));
      assert.deepEqual(await store.invocations.get(fresh.id), fresh);
      const back = await store.invocations.get(none.id);
      assert.deepEqual(back, none);
      assert.equal('sockets' in (back as object), false);
    });

    it('stores invocation records whole and ignores a repeated id', async () => {
      const record = sampleRecord('01a', { errorName: 'TypeError', logsTruncated: true, coldStart: true, initMs: 2.5 });
      await store.invocations.insertMany([record]);
      await store.invocations.insertMany([{ ...record, status: 'error' }]);
      assert.deepEqual(await store.invocations.get('01a'), record);
      assert.equal(await store.invocations.get('zzz'), null);
    });

    it('a later attempt of the same id replaces its record; an earlier one does not', async () => {
      const first = sampleRecord('01b', { trigger: 'async', status: 'error', attempt: 1, startedAt: 1_000 });
      const second = sampleRecord('01b', { trigger: 'async', status: 'success', attempt: 2, startedAt: 2_000 });
      await store.invocations.insertMany([first]);
      await store.invocations.insertMany([second]);
      await store.invocations.insertMany([first]);
      assert.deepEqual(await store.invocations.get('01b'), second);
      const rerun = sampleRecord('01b', { trigger: 'async', status: 'success', attempt: 2, startedAt: 3_000 });
      await store.invocations.insertMany([rerun]);
      assert.equal((await store.invocations.get('01b'))?.startedAt, 3_000);
    });

    it('usage per function-hour is the sum of the records written, a replaced record counted once', async () => {
      const H = 3_600_000;
      await store.invocations.insertMany([
        sampleRecord('u1', { startedAt: H + 10, billedMs: 100, memoryMb: 1024, cpuMs: 40, occupancyMs: 100, coldStart: true }),
        sampleRecord('u2', { startedAt: H + 20, billedMs: 50, memoryMb: 512, status: 'error', cpuMs: 10, occupancyMs: 25 }),
        sampleRecord('u3', { startedAt: 2 * H + 5, billedMs: 0, status: 'throttled', cpuMs: 0, occupancyMs: 0 }),
        sampleRecord('u4', { functionName: 'other', startedAt: H + 30, billedMs: 7 }),
      ]);
      // A repeat is ignored; a later attempt replaces (and moves hours): counted once, where it ended.
      await store.invocations.insertMany([sampleRecord('u1', { startedAt: H + 10, billedMs: 999 })]);
      await store.invocations.insertMany([sampleRecord('u2', { startedAt: 2 * H + 1, attempt: 2, billedMs: 20, memoryMb: 512, cpuMs: 5, occupancyMs: 20 })]);
      const rows = await store.usage.list({ functionName: 'hello' });
      assert.deepEqual(rows.map((r) => [r.hour, r.requests, r.errors, r.throttles, r.coldStarts, r.billedMs]), [
        [H, 1, 0, 0, 1, 100],
        [2 * H, 1, 0, 1, 0, 20],
      ]);
      assert.ok(Math.abs(rows[0].gbSeconds - 0.1) < 1e-9);
      assert.ok(Math.abs(rows[1].gbSeconds - 0.01) < 1e-9);
      assert.ok(Math.abs(rows[0].occupancyGbSeconds - 0.1) < 1e-9);
      assert.equal(rows[0].cpuMs, 40);
      assert.equal(rows[1].cpuMs, 5);
      assert.deepEqual((await store.usage.list({ since: 2 * H })).map((r) => r.functionName), ['hello']);
      assert.deepEqual((await store.usage.list({ until: 2 * H })).map((r) => r.functionName), ['hello', 'other']);
      // Pruning records keeps the usage they added.
      await store.invocations.prune(10 * H, 0);
      assert.equal((await store.usage.list({})).reduce((n, r) => n + r.billedMs, 0), 127);
    });

    it("an instance record (an app's up time) counts as instance GB-seconds, not as a request or billed time", async () => {
      const H = 3_600_000;
      await store.invocations.insertMany([
        sampleRecord('i1', { functionName: 'web', trigger: 'instance', startedAt: H + 1, billedMs: 0, memoryMb: 512, occupancyMs: 60_000, cpuMs: 0 }),
        sampleRecord('i2', { functionName: 'web', startedAt: H + 2, billedMs: 10, memoryMb: 512, occupancyMs: 10 }),
      ]);
      const [row] = await store.usage.list({ functionName: 'web' });
      assert.deepEqual([row.requests, row.billedMs], [1, 10]);
      assert.ok(Math.abs(row.instanceGbSeconds - 30) < 1e-9, String(row.instanceGbSeconds));
      assert.ok(Math.abs(row.occupancyGbSeconds - 0.005) < 1e-9);
    });

    it('a cold start that a later attempt replaces is taken out of usage', async () => {
      await store.invocations.insertMany([sampleRecord('c1', { startedAt: 10, coldStart: true })]);
      await store.invocations.insertMany([sampleRecord('c1', { startedAt: 20, attempt: 2, coldStart: false })]);
      assert.deepEqual((await store.usage.list({ functionName: 'hello' })).map((r) => [r.requests, r.coldStarts]), [[1, 0]]);
    });

    it('keeps alert rules by name and alert events newest first', async () => {
      await store.alerts.putRule({ name: 'errors', rule: { metric: 'error_rate', threshold: 0.1 }, origin: 'api', createdAt: 1 });
      await store.alerts.putRule({ name: 'cfg', rule: { metric: 'dlq_size', threshold: 1 }, origin: 'config', createdAt: 2 });
      await store.alerts.putRule({ name: 'errors', rule: { metric: 'error_rate', threshold: 0.2 }, origin: 'api', createdAt: 3 });
      assert.deepEqual((await store.alerts.listRules()).map((r) => r.name), ['cfg', 'errors']);
      assert.deepEqual((await store.alerts.getRule('errors'))?.rule, { metric: 'error_rate', threshold: 0.2 });
      assert.equal(await store.alerts.deleteRulesOf('config'), 1);
      assert.equal(await store.alerts.deleteRule('errors'), true);
      assert.equal(await store.alerts.deleteRule('errors'), false);
      await store.alerts.addEvent({ id: 'e1', rule: 'errors', kind: 'firing', at: 10, value: 0.5, detail: 'x', delivered: false });
      await store.alerts.addEvent({ id: 'e2', rule: 'errors', kind: 'resolved', at: 20, value: 0, detail: 'y', delivered: false });
      await store.alerts.addEvent({ id: 'e3', rule: 'other', kind: 'firing', at: 30, value: null, detail: 'z', delivered: false });
      await store.alerts.markDelivered('e1');
      const events = await store.alerts.listEvents({ rule: 'errors', limit: 10 });
      assert.deepEqual(events.map((e) => [e.id, e.kind, e.delivered]), [['e2', 'resolved', false], ['e1', 'firing', true]]);
      assert.equal((await store.alerts.listEvents({ limit: 2 })).length, 2);
    });

    it("keeps each alert rule's state, saved with its transition's event in one call", async () => {
      await store.alerts.saveState({ rule: 'errors', status: 'pending', since: 10, value: 0.4 });
      await store.alerts.saveState({ rule: 'errors', status: 'firing', since: 20, value: 0.5 }, { id: 'e1', rule: 'errors', kind: 'firing', at: 20, value: 0.5, detail: 'x', delivered: false });
      await store.alerts.saveState({ rule: 'dlq', status: 'ok', since: 5, value: null });
      assert.deepEqual(await store.alerts.listStates(), [
        { rule: 'dlq', status: 'ok', since: 5, value: null },
        { rule: 'errors', status: 'firing', since: 20, value: 0.5 },
      ]);
      assert.deepEqual((await store.alerts.listEvents({ rule: 'errors', limit: 5 })).map((e) => e.id), ['e1']);
      await store.alerts.deleteState('errors');
      assert.deepEqual((await store.alerts.listStates()).map((s) => s.rule), ['dlq']);
    });

    it('lists invocations newest first with filters and pagination', async () => {
      await store.invocations.insertMany([
        sampleRecord('01', { startedAt: 1 }),
        sampleRecord('02', { functionName: 'other', startedAt: 2 }),
        sampleRecord('03', { status: 'error', startedAt: 3 }),
        sampleRecord('04', { startedAt: 4 }),
      ]);
      const ids = (rs: InvocationRecord[]) => rs.map((r) => r.id);
      assert.deepEqual(ids(await store.invocations.list({ limit: 10 })), ['04', '03', '02', '01']);
      assert.deepEqual(ids(await store.invocations.list({ functionName: 'hello', limit: 2 })), ['04', '03']);
      assert.deepEqual(ids(await store.invocations.list({ functionName: 'hello', before: '03', limit: 2 })), ['01']);
      assert.deepEqual(ids(await store.invocations.list({ status: 'error', limit: 10 })), ['03']);
      assert.deepEqual(ids(await store.invocations.list({ since: 3, limit: 10 })), ['04', '03']);
    });

    it('appended records (ids made for them) are read like the others: by id, and in lists merged newest first', async () => {
      const T = Date.UTC(2026, 10, 1);
      // Spread over several time slots, two functions, a failure, and a keyed record in between.
      const fresh = [0, 40, 90, 130, 260, 261, 700].map((dt, i) => {
        const startedAt = T + dt;
        return sampleRecord(newId(startedAt), { startedAt, functionName: i % 3 === 2 ? 'other' : 'hello', status: i === 4 ? 'error' : 'success', logs: i === 0 ? [] : [{ t: startedAt, level: 'info', msg: `line ${i}` }] });
      });
      const keyedAt = T + 200;
      const keyed = sampleRecord(newId(keyedAt), { startedAt: keyedAt, trigger: 'async', attempt: 2 });
      await store.invocations.append(packOf(store.invocations, fresh.slice(4)));
      await store.invocations.append(packOf(store.invocations, fresh.slice(0, 4)));
      await store.invocations.insertMany([keyed]);
      for (const r of fresh) assert.deepEqual(await store.invocations.get(r.id), r);
      assert.equal(await store.invocations.get(newId(T + 50)), null, 'an id never written, in a slot that has records');
      assert.equal(await store.invocations.get('not-an-id'), null);
      const byTime = [...fresh, keyed].sort((a, b) => (a.id < b.id ? 1 : -1)).map((r) => r.id);
      const ids = (rs: InvocationRecord[]) => rs.map((r) => r.id);
      assert.deepEqual(ids(await store.invocations.list({ limit: 100 })), byTime);
      assert.deepEqual(ids(await store.invocations.list({ limit: 3 })), byTime.slice(0, 3));
      assert.deepEqual(ids(await store.invocations.list({ before: byTime[2], limit: 3 })), byTime.slice(3, 6), 'pagination');
      assert.deepEqual(ids(await store.invocations.list({ functionName: 'other', limit: 10 })), fresh.filter((r) => r.functionName === 'other').map((r) => r.id).reverse());
      assert.deepEqual(ids(await store.invocations.list({ status: 'error', limit: 10 })), [fresh[4].id]);
      assert.deepEqual(ids(await store.invocations.list({ since: T + 200, limit: 10 })), byTime.filter((id) => id >= keyed.id));
      // Usage counts every appended record once, like the keyed ones.
      const usage = await store.usage.list({});
      assert.equal(usage.reduce((n, u) => n + u.requests, 0), 8);
    });

    it('prune by age and by count takes appended and keyed records alike, oldest first, exactly', async () => {
      const T = Date.UTC(2026, 10, 1);
      const at = (dt: number) => T + dt;
      // Two slots hold both kinds; the count runs out inside the second one.
      const fresh = [0, 10, 20, 110, 120, 130, 250].map((dt) => sampleRecord(newId(at(dt)), { startedAt: at(dt) }));
      const keyed = [5, 115, 240].map((dt) => sampleRecord(newId(at(dt)), { startedAt: at(dt), trigger: 'async' }));
      await store.invocations.append(packOf(store.invocations, fresh));
      await store.invocations.insertMany(keyed);
      const all = [...fresh, ...keyed].map((r) => r.id).sort();
      assert.equal(await store.invocations.prune(at(10), 100), 2, 'by age: the records started before T+10');
      assert.deepEqual((await store.invocations.list({ limit: 100 })).map((r) => r.id).reverse(), all.slice(2));
      assert.equal(await store.invocations.prune(0, 5), 3, 'by count: the newest 5 stay');
      assert.deepEqual((await store.invocations.list({ limit: 100 })).map((r) => r.id).reverse(), all.slice(5));
      assert.equal(await store.invocations.prune(0, 2), 3);
      assert.deepEqual((await store.invocations.list({ limit: 100 })).map((r) => r.id).reverse(), all.slice(8));
      assert.equal(await store.invocations.prune(0, 2), 0);
      assert.equal(await store.invocations.prune(0, 0), 2);
      assert.deepEqual(await store.invocations.list({ limit: 100 }), []);
    });

    it('a pack gives back exactly the records added to it, by id and all together', async () => {
      const T = Date.UTC(2026, 10, 1);
      const records = [
        sampleRecord(newId(T), { startedAt: T }),
        sampleRecord(newId(T + 1), { startedAt: T + 1, statusCode: null, status: 'timeout', errorCode: 'NIMBUS_ERR_TIMEOUT', errorMessage: 'line\n"two"', logs: [] }),
        sampleRecord(newId(T + 2), { startedAt: T + 2, functionName: 'other', coldStart: true, initMs: 12.5, parentSpanId: '00f067aa0ba902b8', logsTruncated: true }),
      ];
      const pack = packFor(store.invocations);
      assert.equal(pack.count, 0);
      for (const r of records) pack.add(r);
      assert.equal(pack.count, 3);
      assert.deepEqual(pack.records(), records);
      assert.deepEqual(pack.find(records[1].id), records[1]);
      assert.equal(pack.find(newId(T + 3)), undefined);
    });

    it('a pack selects records by query as the store lists them: filters, newest first, limit', async () => {
      const T = Date.UTC(2026, 10, 1);
      // Added out of id order (records are pushed as they end, not as they start).
      const records = [5, 1, 4, 0, 3, 2, 6].map((dt) =>
        sampleRecord(newId(T + dt), { startedAt: T + dt, functionName: dt % 2 ? 'odd' : 'even', status: dt === 4 ? 'error' : 'success' }),
      );
      const pack = packOf(store.invocations, records);
      const newest = [...records].sort(byIdNewestFirst);
      const ids = (rs: InvocationRecord[]) => rs.map((r) => r.id);
      const queries = [
        { limit: 100 },
        { limit: 3 },
        { functionName: 'odd', limit: 10 },
        { status: 'error' as const, limit: 10 },
        { since: T + 3, limit: 10 },
        { before: newest[2].id, limit: 2 },
        { functionName: 'even', since: T + 1, before: newest[0].id, limit: 10 },
        { functionName: 'none', limit: 10 },
      ];
      for (const q of queries) {
        const want = newest.filter((r) => matchesQuery(r, q)).slice(0, q.limit);
        assert.deepEqual(ids(pack.records(q)), ids(want), JSON.stringify(q));
        assert.deepEqual(pack.records(q), want, 'whole records');
      }
      assert.deepEqual(ids(pack.records({ functionName: 'even', limit: 10 })), ids(newest.filter((r) => r.functionName === 'even')));
    });

    it('an appended record whose id was not made by newId is kept as a row, not refused with its batch', async () => {
      const T = Date.UTC(2026, 10, 1);
      const odd = sampleRecord('job-17', { startedAt: T });
      const normal = sampleRecord(newId(T + 1), { startedAt: T + 1 });
      await store.invocations.append(packOf(store.invocations, [odd, normal]));
      assert.deepEqual(await store.invocations.get('job-17'), odd);
      assert.deepEqual(await store.invocations.get(normal.id), normal);
      assert.equal((await store.invocations.list({ limit: 10 })).length, 2);
      assert.equal((await store.usage.list({})).reduce((n, u) => n + u.requests, 0), 2);
    });

    it('an appended batch written again (a writer that died after committing it) is stored and counted once', async () => {
      const T = Date.UTC(2026, 10, 1);
      const batch = [0, 1, 150].map((dt) => sampleRecord(newId(T + dt), { startedAt: T + dt }));
      await store.invocations.append(packOf(store.invocations, batch));
      await store.invocations.append(packOf(store.invocations, batch));
      assert.equal((await store.invocations.list({ limit: 10 })).length, 3);
      assert.equal((await store.usage.list({})).reduce((n, u) => n + u.requests, 0), 3);
    });

    it('append takes records as a plain array too, stored and counted like a pack of them', async () => {
      const T = Date.UTC(2026, 10, 1);
      const records = [0, 1, 150].map((dt) => sampleRecord(newId(T + dt), { startedAt: T + dt, billedMs: 10 }));
      await store.invocations.append(records);
      await store.invocations.append(records);
      for (const r of records) assert.deepEqual(await store.invocations.get(r.id), r);
      assert.equal((await store.usage.list({})).reduce((n, u) => n + u.billedMs, 0), 30);
    });

    it('prune deletes by age and keeps at most the newest N', async () => {
      await store.invocations.insertMany(['01', '02', '03', '04', '05'].map((id, i) => sampleRecord(id, { startedAt: i })));
      assert.equal(await store.invocations.prune(1, 100), 1);
      assert.equal(await store.invocations.prune(0, 2), 2);
      assert.deepEqual((await store.invocations.list({ limit: 10 })).map((r) => r.id), ['05', '04']);
    });
  });
}
