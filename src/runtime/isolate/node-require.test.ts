/**
 * require() of a Node built-in from CommonJS gives what Node's gives: the module itself
 * (`require('stream')` is Stream, `require('events')` EventEmitter, `require('assert')` the
 * assert function), so `util.inherits(X, require('stream'))` and `class X extends
 * require('events')` work, as in jws (jsonwebtoken) and many older packages.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { systemClock } from '../../core/clock.ts';
import { bundlePath, bundleSource } from '../../deploy/bundle.ts';
import { handlerOnce } from '../contract.ts';
import { createIsolateRuntime } from './index.ts';

describe('require() of Node built-ins', () => {
  const runtime = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [64], onError: () => undefined });
  const dirs: string[] = [];
  after(async () => {
    await runtime.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const run = (code: string) => handlerOnce(runtime, code);

  it('gives the module itself: Stream, EventEmitter and assert are functions with their members, as in Node', async () => {
    const code = `
      const Stream = require('stream'); const EE = require('node:events'); const assert = require('assert');
      const util = require('util'); const { Readable } = require('stream');
      function Legacy() { Stream.call(this); }
      util.inherits(Legacy, Stream);
      class Bus extends require('events') {}
      exports.handler = async () => [typeof Stream, Stream.Readable === Readable, typeof Stream.prototype.pipe, new Legacy() instanceof Stream,
        typeof EE, EE.EventEmitter === EE, typeof new Bus().on, typeof assert, typeof assert.strictEqual,
        typeof require('buffer').Buffer, typeof require('util').promisify, typeof require('path').join];`;
    const expected = [true, true, true, true, true, true, true, true, true, true, true, true];
    // what plain Node answers for the same module
    const Stream = (await import('node:stream')).default;
    const EE = (await import('node:events')).default;
    assert.equal(typeof Stream, 'function');
    assert.equal(EE.EventEmitter, EE);
    const answer = (await run((await bundleSource({ 'index.js': code }, 'index.js')).code)) as unknown[];
    assert.deepEqual(answer.map((v) => v === true || v === 'function'), expected, JSON.stringify(answer));
  });

  it('an ES import of the same module is unchanged (default and named exports), and both get the same module', async () => {
    const root = mkdtempSync(join(tmpdir(), 'nimbus-node-require-'));
    dirs.push(root);
    const files: Record<string, string> = {
      'index.mjs': `import Stream, { Readable } from 'node:stream'; import * as ns from 'events'; import legacy from 'legacy';
        export const handler = async () => [Stream.Readable === Readable, typeof ns.EventEmitter, typeof ns.once, legacy.Stream === Stream, legacy.Readable === Readable];`,
      'node_modules/legacy/package.json': '{"name":"legacy","main":"index.js"}',
      'node_modules/legacy/index.js': `const Stream = require('stream'); module.exports = { Stream, Readable: Stream.Readable };`,
    };
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, name)), { recursive: true });
      writeFileSync(join(root, name), text);
    }
    const built = await bundlePath(join(root, 'index.mjs'));
    assert.deepEqual(await run(built.code), [true, 'function', 'function', true, true]);
  });
});
