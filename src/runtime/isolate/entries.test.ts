/**
 * Entries made in one callback are sent at the end of its turn (entries.ts): each is still its
 * own task in the isolate, so its own invocation, with its own answer, body, log lines
 * (after an await too) and unhandled rejection, and a value that cannot be copied fails its
 * caller at once.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { systemClock } from '../../core/clock.ts';
import { bundle, eventCall, fetchResponse, handlerValue, httpCall, rejectsWith, startWith } from '../contract.ts';
import type ivm from 'isolated-vm';
import { Entries } from './entries.ts';
import { createIsolateRuntime } from './index.ts';

const quiet = () => undefined;
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('entries made in one callback', () => {
  const runtime = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [64], onError: quiet });
  after(() => runtime.close());

  it('requests started in one callback each get their own answer, bodies and events included', async () => {
    const h = await startWith(
      runtime,
      await bundle(`export default { async fetch(request) {
  const body = request.method === 'POST' ? await request.text() : '';
  console.log('saw ' + new URL(request.url).pathname);
  return new Response(new URL(request.url).pathname + ':' + body);
} };
export async function handler(event) { return { echoed: event }; }`),
    );
    try {
      const calls = [];
      for (let i = 0; i < 20; i++) {
        const body = i % 3 === 0 ? new TextEncoder().encode(`body-${i}`) : null;
        calls.push(h.instance.invoke(httpCall(`b-${i}`, { url: `http://127.0.0.1/p${i}`, method: body === null ? 'GET' : 'POST', body })));
      }
      const events = [h.instance.invoke(eventCall('e-1', { n: 1, list: [1, 2] })), h.instance.invoke(eventCall('e-2', 'plain'))];
      const answers = await Promise.all(calls);
      answers.forEach((r, i) => assert.equal(text(fetchResponse(r).body), `/p${i}:${i % 3 === 0 ? `body-${i}` : ''}`));
      assert.deepEqual(handlerValue(await events[0]), { echoed: { n: 1, list: [1, 2] } });
      assert.deepEqual(handlerValue(await events[1]), { echoed: 'plain' });
      for (let i = 0; i < 20; i++) assert.deepEqual(h.logs.filter((l) => l.invocationId === `b-${i}`).map((l) => l.message), [`saw /p${i}`]);
    } finally {
      h.instance.dispose();
    }
  });

  it('an event that cannot be copied fails its own invocation at once and not the others started with it', async () => {
    const h = await startWith(runtime, await bundle(`export async function handler(event) { return event; }`));
    try {
      const first = h.instance.invoke(eventCall('c-1', 1));
      const bad = h.instance.invoke(eventCall('c-2', { f: () => 1 }));
      const third = h.instance.invoke(eventCall('c-3', { ok: true }));
      await rejectsWith(bad, 'NIMBUS_ERR_BAD_REQUEST');
      assert.equal(handlerValue(await first), 1);
      assert.deepEqual(handlerValue(await third), { ok: true });
    } finally {
      h.instance.dispose();
    }
  });

  it('rejections of invocations started in one callback are each logged for their own', async () => {
    const h = await startWith(
      runtime,
      await bundle(`export default { async fetch(request) {
  const which = new URL(request.url).pathname;
  await request.text();
  if (which !== '/fine') Promise.reject(new RangeError('left alone at ' + which));
  await new Promise((r) => setTimeout(r, 1));
  return new Response('ok');
} };`),
    );
    try {
      const calls = ['fine', 'a', 'b'].map((p, i) => h.instance.invoke(httpCall(`q-${i}`, { url: `http://127.0.0.1/${p}` })));
      await Promise.all(calls);
      const errors = (id: string) => h.logs.filter((l) => l.invocationId === id && l.level === 'error').map((l) => l.message);
      assert.equal(errors('q-0').length, 0);
      assert.match(errors('q-1').join() ?? '', /^Uncaught \(in promise\) RangeError: left alone at \/a\n/);
      assert.match(errors('q-2').join() ?? '', /^Uncaught \(in promise\) RangeError: left alone at \/b\n/);
    } finally {
      h.instance.dispose();
    }
  });
});

describe('Entries, with a stand-in for the isolate', () => {
  /** A recv whose apply records its arguments and the JavaScript stack it was called from. */
  function fakeRecv(fail: (args: unknown[]) => unknown) {
    const calls: Array<{ args: unknown[]; stack: string }> = [];
    const recv = {
      apply(_receiver: unknown, args: unknown[]) {
        calls.push({ args, stack: new Error('where').stack ?? '' });
        const reason = fail(args);
        if (reason instanceof Error && reason.message === 'Isolate is disposed') throw reason;
        return reason === undefined ? Promise.resolve(undefined) : Promise.reject(reason);
      },
      applyIgnored(_receiver: unknown, args: unknown[]) {
        calls.push({ args, stack: '' });
      },
    };
    return { recv: recv as unknown as ivm.Reference<(...args: unknown[]) => unknown>, calls };
  }

  it('applies reporting entries in order, from promise jobs with no frame of the sender on the stack', async () => {
    const { recv, calls } = fakeRecv(() => undefined);
    const entries = new Entries({ recv, reportRejections: true, rejected: () => assert.fail('no rejection'), failed: () => assert.fail('no failure') });
    entries.send([1, 'a'], false, 1);
    entries.send([1, 'b'], false, 2);
    entries.flush();
    assert.equal(calls.length, 0, 'applied from the microtasks that follow, not inside flush()');
    await entries.last;
    assert.deepEqual(calls.map((c) => c.args), [[1, 'a'], [1, 'b']]);
    for (const c of calls) assert.doesNotMatch(c.stack, /flush|send|Entries/);
  });

  it('a task’s rejection reaches rejected() for its owner; an isolate gone before the job does too, as its error', async () => {
    const rejected: Array<[number, string]> = [];
    let twoTaken: () => void = () => undefined;
    const taken = new Promise<void>((resolve) => (twoTaken = resolve));
    const { recv } = fakeRecv((args) => (args[1] === 'bad' ? new RangeError('left alone') : args[1] === 'gone' ? new Error('Isolate is disposed') : undefined));
    const rejectedFor = (owner: number, reason: unknown) => {
      rejected.push([owner, (reason as Error).message]);
      if (rejected.length === 2) twoTaken();
    };
    const entries = new Entries({ recv, reportRejections: true, rejected: rejectedFor, failed: () => assert.fail('no failure') });
    entries.send([1, 'fine'], false, 1);
    entries.send([1, 'bad'], false, 2);
    entries.send([1, 'gone'], false, 3);
    entries.flush();
    await taken;
    await entries.last;
    assert.deepEqual(rejected.sort((x, y) => x[0] - y[0]), [[2, 'left alone'], [3, 'Isolate is disposed']]);
  });
});
