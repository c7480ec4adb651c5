/**
 * Escape tests: a child writes raw bytes on its IPC channel's descriptor, as a node function's
 * code can (fs.writeSync(3, …)). The platform must not throw (an uncaught exception stops
 * it) nor buffer a frame of any declared length.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { guardChannel } from './channel-guard.ts';

function child(serialization: 'json' | 'advanced', script: string) {
  const c = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization });
  const messages: unknown[] = [];
  c.on('message', (m) => messages.push(m));
  const abused = new Promise<string>((resolve) => guardChannel(c, 1024 * 1024, (why) => (c.kill('SIGKILL'), resolve(why))));
  const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
  return { c, messages, abused, exited };
}

const ok = "process.send({ ok: 1 }, () => {\n";

describe("a node child's IPC channel, written raw (escape tests)", () => {
  it('a frame the advanced serialization cannot read stops the child, not the platform', async () => {
    const { messages, abused, exited } = child('advanced', `${ok} require('fs').writeSync(3, Buffer.from([0, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef])); setInterval(() => {}, 1000); });`);
    assert.match(await abused, /could not be read/);
    await exited;
    assert.deepEqual(messages, [{ ok: 1 }]);
  });

  it('a line that is not JSON stops the child, not the platform', async () => {
    const { messages, abused, exited } = child('json', `${ok} require('fs').writeSync(3, '{not json\\n'); setInterval(() => {}, 1000); });`);
    assert.match(await abused, /could not be read/);
    await exited;
    assert.deepEqual(messages, [{ ok: 1 }]);
  });

  for (const [serialization, head] of [['advanced', 'Buffer.from([0x7f, 0xff, 0xff, 0x00])'], ['json', "'[\"'"]] as const) {
    it(`a frame past the limit is not buffered on (${serialization}): the child is stopped`, async () => {
      const { abused, exited } = child(serialization, `${ok} const fs = require('fs'); fs.writeSync(3, ${head}); const b = Buffer.alloc(65536, 0x41); for (;;) try { fs.writeSync(3, b); } catch {} });`);
      assert.match(await abused, /larger than 1048576 bytes/);
      await exited;
    });
  }
});
