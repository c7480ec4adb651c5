/**
 * Unhandled promise rejections in a function are logged, as workerd and Deno log them: an
 * error line naming the reason with its stack, for the invocation whose code it was (one
 * rejected in the task that answered is in the log before the answer is given), or for the
 * instance when no invocation runs. A rejection handled in the same turn is not logged.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { systemClock } from '../../core/clock.ts';
import { baseConfig, bundle, fetchResponse, httpCall, startWith } from '../contract.ts';
import type { Instance } from '../port.ts';
import { createIsolateRuntime } from './index.ts';

const quiet = () => undefined;

describe('unhandled promise rejections', () => {
  const runtime = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [64], onError: quiet });
  after(() => runtime.close());

  const errorsOf = (logs: ReadonlyArray<{ invocationId: string; level: string; message: string }>, id: string) =>
    logs.filter((l) => l.invocationId === id && l.level === 'error').map((l) => l.message);

  it('a promise rejected before the function awaits is logged for that invocation, with its stack, before its answer', async () => {
    const h = await startWith(
      runtime,
      await bundle(`function later() { Promise.reject(new RangeError('early one')); }
export default { async fetch() { later(); await new Promise((r) => setTimeout(r, 1)); return new Response('ok'); } };`),
    );
    try {
      const res = fetchResponse(await h.instance.invoke(httpCall('r-first')));
      assert.equal(new TextDecoder().decode(res.body), 'ok');
      const [line, ...more] = errorsOf(h.logs, 'r-first');
      assert.equal(more.length, 0);
      assert.match(line ?? '', /^Uncaught \(in promise\) RangeError: early one\n\s+at later \(fn\.js:\d+:\d+\)/);
      assert.doesNotMatch(line ?? '', /isolated-vm|file:|node:/);
    } finally {
      h.instance.dispose();
    }
  });

  it('one rejected in the very turn that answered is logged once: for the invocation, or (reported after its answer) for the instance, naming it', async () => {
    const seen: Array<{ invocationId: string; after: string | undefined; text: string }> = [];
    let logged!: () => void;
    const once = new Promise<void>((r) => (logged = r));
    const instance = await runtime.start({
      instanceId: 'rej-same',
      functionName: 'fn',
      version: 1,
      code: await bundle(`export default { fetch() { Promise.reject(new Error('same turn')); return new Response('ok'); } };`),
      config: baseConfig,
      onLog: () => undefined,
      onRejection: async (invocationId, r, after) => {
        seen.push({ invocationId, after, text: `${r.errorName}: ${r.errorMessage}` });
        logged();
      },
      fetch: () => Promise.reject(new Error('no fetch')),
    });
    const keepAlive = setInterval(() => undefined, 60_000);
    try {
      await instance.invoke(httpCall('r-same'));
      await once;
      assert.equal(seen.length, 1);
      const [s] = seen;
      assert.equal(s!.text, 'Error: same turn');
      assert.ok(s!.invocationId === 'r-same' || (s!.invocationId === '' && s!.after === 'r-same'), JSON.stringify(s));
    } finally {
      clearInterval(keepAlive);
      instance.dispose();
    }
  });

  it('one rejected after an await (a timer) is the invocation that awaited; one handled in the same turn is not logged; the instance serves on', async () => {
    const h = await startWith(
      runtime,
      await bundle(`export default { async fetch(request) {
  const u = new URL(request.url);
  await new Promise((r) => setTimeout(r, 1));
  if (u.searchParams.has('reject')) Promise.reject(new Error('after a timer ' + u.searchParams.get('reject')));
  if (u.searchParams.has('string')) Promise.reject('plain text');
  const handled = Promise.reject(new Error('handled'));
  await null;
  handled.catch(() => undefined);
  await new Promise((r) => setTimeout(r, 1));
  return new Response('ok');
} };`),
    );
    try {
      await h.instance.invoke(httpCall('r-timer', { url: 'http://x/?reject=1' }));
      await h.instance.invoke(httpCall('r-none', { url: 'http://x/' }));
      await h.instance.invoke(httpCall('r-string', { url: 'http://x/?string' }));
      assert.deepEqual(errorsOf(h.logs, 'r-timer').map((l) => l.split('\n')[0]), ['Uncaught (in promise) Error: after a timer 1']);
      assert.deepEqual(errorsOf(h.logs, 'r-none'), []);
      assert.deepEqual(errorsOf(h.logs, 'r-string'), ['Uncaught (in promise) "plain text"']);
    } finally {
      h.instance.dispose();
    }
  });

  it('with reportRejections off (--no-rejection-logs) nothing is logged and the function answers as before', async () => {
    const quietRuntime = createIsolateRuntime({ clock: systemClock, spares: 0, reportRejections: false, onError: quiet });
    try {
      const h = await startWith(quietRuntime, await bundle(`export default { async fetch() { Promise.reject(new Error('unseen')); await new Promise((r) => setTimeout(r, 1)); return new Response('ok'); } };`));
      try {
        assert.equal(new TextDecoder().decode(fetchResponse(await h.instance.invoke(httpCall('r-off'))).body), 'ok');
        assert.deepEqual(errorsOf(h.logs, 'r-off'), []);
      } finally {
        h.instance.dispose();
      }
    } finally {
      await quietRuntime.close();
    }
  });

  it('one rejected while no invocation runs (a module-level timer) is logged for the instance', async () => {
    let logged!: (line: string) => void;
    const line = new Promise<string>((r) => (logged = r));
    let instance: Instance | undefined;
    try {
      instance = await runtime.start({
        instanceId: 'rej-module',
        functionName: 'fn',
        version: 1,
        code: await bundle(`setTimeout(() => { Promise.reject(new TypeError('nobody owns me')); }, 1);
export default { fetch() { return new Response('ok'); } };`),
        config: baseConfig,
        onLog: () => undefined,
        onRejection: async (invocationId, r) => {
          if (invocationId === '') logged(`${r.errorName}: ${r.errorMessage}`);
        },
        fetch: () => Promise.reject(new Error('no fetch')),
      });
      // the platform's timers do not hold the process open: this does, while the test waits
      const keepAlive = setInterval(() => undefined, 60_000);
      try {
        assert.equal(await line, 'TypeError: nobody owns me');
      } finally {
        clearInterval(keepAlive);
      }
    } finally {
      instance?.dispose();
    }
  });
});
