/**
 * Buffer's per-encoding methods (`latin1Slice`, `utf8Write`, …): not in Node's docs but on
 * its Buffer.prototype, and called directly by fast parsers (busboy's header parser). Each
 * answers inside an isolate as it does in plain Node.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { systemClock } from '../../core/clock.ts';
import { bundleSource } from '../../deploy/bundle.ts';
import { handlerOnce } from '../contract.ts';
import { createIsolateRuntime } from './index.ts';

/** The same probe, as source for the isolate and as a function for Node. */
const PROBE = `(B) => {
  const encs = ['ascii', 'base64', 'base64url', 'latin1', 'hex', 'ucs2', 'utf8'];
  const src = B.from([0x68, 0xe9, 0x6c, 0x6c, 0xf6, 0x20, 0xe2, 0x9c, 0x93, 0xff]);
  const out = {};
  for (const e of encs) {
    const buf = B.alloc(12);
    out[e] = [src[e + 'Slice'](), src[e + 'Slice'](1, 5), buf[e + 'Write'](e === 'hex' ? 'abcd' : 'aGk=hé', 2), buf[e + 'Write']('zz', 10, 1), buf.toString('hex')];
  }
  return out;
}`;

describe('Buffer per-encoding methods', () => {
  const runtime = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [64], onError: () => undefined });
  after(() => runtime.close());

  it('latin1Slice, utf8Write and the rest answer as in plain Node', async () => {
    const expected = (new Function(`return ${PROBE}`)() as (b: typeof Buffer) => unknown)(Buffer);
    const code = (await bundleSource({ 'index.js': `import { Buffer } from 'node:buffer'; export const handler = async () => (${PROBE})(Buffer);` }, 'index.js')).code;
    assert.deepEqual(await handlerOnce(runtime, code), JSON.parse(JSON.stringify(expected)));
  });
});
