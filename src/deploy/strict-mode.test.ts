/**
 * A function written as an ES module runs in strict mode, as in Node and on Workers; a
 * CommonJS entry stays sloppy, as in Node. (That the source map still leads stack positions
 * to the sources, with the directive's line in front, is dispatch/source-stacks.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { systemClock } from '../core/clock.ts';
import { createIsolateRuntime } from '../runtime/isolate/index.ts';
import { handlerOnce } from '../runtime/contract.ts';
import { bundleSource } from './bundle.ts';

const PROBE = `const frozen = Object.freeze({ a: 1 });
  let frozenWrite = 'ignored';
  try { frozen.a = 2; } catch (e) { frozenWrite = e.name; }
  let undeclared = 'became a global';
  try { eval('undeclaredName = 1'); } catch (e) { undeclared = e.name; }
  const thisInCall = (function () { return this === undefined ? 'undefined' : typeof this; })();`;

describe('strict mode of bundles', () => {
  const runtime = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [64], onError: () => undefined });
  after(() => runtime.close());
  const run = async (files: Record<string, string>, entry: string) => {
    const built = await bundleSource(files, entry);
    return { built, value: await handlerOnce(runtime, built.code) };
  };

  it('an ES module entry is strict, and so is the CommonJS it imports', async () => {
    const { built, value } = await run(
      {
        'index.ts': `import { cjs } from './lib.js';\nexport const handler = async () => { ${PROBE}\n return [frozenWrite, undeclared, thisInCall, cjs()]; };`,
        'lib.js': `exports.cjs = () => (function () { return this === undefined; })();`,
      },
      'index.ts',
    );
    assert.match(built.code, /^"use strict";\n/);
    assert.deepEqual(value, ['TypeError', 'ReferenceError', 'undefined', true]);
  });

  it('a CommonJS entry stays sloppy, as in Node', async () => {
    const { built, value } = await run({ 'index.js': `exports.handler = async () => { ${PROBE}\n return [frozenWrite, undeclared, thisInCall]; };` }, 'index.js');
    assert.doesNotMatch(built.code, /use strict/);
    assert.deepEqual(value, ['ignored', 'became a global', 'object']);
  });
});
