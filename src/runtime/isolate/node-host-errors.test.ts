/**
 * Escape: a failed Node layer host call (the synchronous door and the thread pool's) gives the
 * isolate the error's class and message only, never the host's stack, which names the
 * platform's files (where it is installed) and its internals.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { systemClock } from '../../core/clock.ts';
import { bundle, eventCall, handlerValue, startWith } from '../contract.ts';
import { createIsolateRuntime } from './index.ts';

describe('Node layer host call errors in the isolate', () => {
  const runtime = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [64], onError: () => undefined });
  after(() => runtime.close());

  it('escape: carry no host stack frames', async () => {
    const h = await startWith(
      runtime,
      await bundle(`
        import crypto from 'node:crypto';
        import zlib from 'node:zlib';
        const stackOf = (f: () => unknown) => { try { f(); return 'no error'; } catch (e) { return [(e as Error).name, String((e as Error).stack)]; } };
        export async function handler() {
          return [
            stackOf(() => crypto.createHash('no-such-hash')), // the synchronous door
            stackOf(() => crypto.pbkdf2Sync('pw', 'salt', 1, 32, 'no-such-hash')), // the thread pool's
            stackOf(() => crypto.scryptSync('pw', 'salt', 32, { N: 3 })),
            stackOf(() => zlib.inflateSync(new Uint8Array(300 * 1024).fill(7))),
          ];
        }`),
    );
    const stacks = handlerValue(await h.instance.invoke(eventCall('e', null))) as Array<[string, string]>;
    assert.equal(stacks.length, 4);
    for (const [name, stack] of stacks) {
      assert.match(name, /^(Error|TypeError|RangeError)$/);
      assert.doesNotMatch(stack, /file:\/\/|node:internal|\/dist\/|\/src\/runtime|nodeHost|CryptoGate/, stack);
      assert.ok(stack.startsWith(name + ': '), stack);
    }
    h.instance.dispose();
  });
});
