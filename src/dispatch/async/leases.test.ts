import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../core/clock.ts';
import { deployInput, SAMPLE_CONFIG } from '../../store/contract.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import { Catalog } from '../catalog.ts';
import { longestInvocationMs } from '../wait-bounds.ts';
import { harness, ok } from './testing.ts';

const MARGIN_MS = 60_000;
/** A claim covers the wait for a starting instance and the run (wait-bounds.ts), and the margin. */
const leaseFor = (timeoutMs: number) => longestInvocationMs({ timeoutMs }) + MARGIN_MS;

/** `fn`: version 1 may run for 15 minutes, the current one, version 2, for 5 seconds; alias `slow` → 1. */
async function twoVersions() {
  const clock = new FakeClock(1_700_000_000_000);
  const store = openSqliteStore(':memory:');
  await store.functions.deploy(deployInput('fn', 'v1', clock.now(), { ...SAMPLE_CONFIG, timeoutMs: 900_000 }));
  await store.functions.deploy(deployInput('fn', 'v2', clock.now(), { ...SAMPLE_CONFIG, timeoutMs: 5_000 }));
  await store.aliases.set('fn', 'slow', [{ version: 1, weight: 100 }], clock.now());
  const catalogOver = (functions: typeof store.functions) => new Catalog(functions, { aliases: store.aliases, openSecrets: (_, sealed) => ({ ...sealed }) });
  return { clock, store, catalogOver };
}

test('an async item is claimed for the longest invocation of the versions its target may be served by, aliases included', async () => {
  const { clock, store, catalogOver } = await twoVersions();
  await store.aliases.set('fn', 'split', [{ version: 2, weight: 50 }, { version: 1, weight: 50 }], clock.now());
  const h = await harness([], { store, clock, catalog: catalogOver(store.functions) });
  // every invocation runs on until the end of the test: the items stay claimed
  const running: Array<() => void> = [];
  try {
    h.script = (req) => new Promise((resolve) => running.push(() => resolve(ok(req))));
    const leaseOf = async (target: string) => {
      const { id } = await h.system.submit(target, {});
      // a pass claims it, if the submit did not start it at once
      await h.step(0);
      const item = await store.queue.get(id);
      assert.equal(item?.state, 'running', `${target} runs`);
      return (item?.dueAt ?? 0) - clock.now();
    };
    assert.equal(await leaseOf('fn'), leaseFor(5_000), 'the current version: its own timeout');
    assert.equal(await leaseOf('fn@2'), leaseFor(5_000));
    assert.equal(await leaseOf('fn@slow'), leaseFor(900_000), 'an alias to an older version: that version’s timeout');
    assert.equal(await leaseOf('fn@split'), leaseFor(900_000), 'a split alias: the longest of its routes');
    assert.equal(await leaseOf('fn@1'), leaseFor(900_000), 'a version by number');
    assert.equal(h.calls.length, 5, 'each started at once');
  } finally {
    for (const end of running) end();
    await h.settle();
    await h.close();
  }
});

test('a version an alias routes to that cannot be read leaves the claim at the current version’s: the item still runs', async () => {
  const { clock, store, catalogOver } = await twoVersions();
  const functions = Object.create(store.functions) as typeof store.functions;
  functions.getVersion = async (name, version) => {
    if (version === 1) throw new Error('disk read failed');
    return store.functions.getVersion(name, version);
  };
  const h = await harness([], { store, clock, catalog: catalogOver(functions) });
  try {
    const { id } = await h.system.submit('fn@slow', {});
    await h.step(0);
    const item = await store.queue.get(id);
    assert.equal(item?.state, 'succeeded', 'claimed and run (its invocation answers for the version it could not read)');
    assert.equal(h.calls.length, 1);
  } finally {
    await h.close();
  }
});
