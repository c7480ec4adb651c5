/**
 * `perf_hooks` in a function: `performance` is the isolate's clock, with User Timing marks
 * and measures that answer as Node's do (names, types, durations between marks, errors).
 */
import assert from 'node:assert/strict';
import { performance as nodePerformance } from 'node:perf_hooks';
import { after, describe, it } from 'node:test';
import { systemClock } from '../../core/clock.ts';
import { bundleSource } from '../../deploy/bundle.ts';
import { handlerOnce } from '../contract.ts';
import { createIsolateRuntime } from './index.ts';

/** Marks at fixed times (startTime given), so durations are exact in both runtimes. */
const PROBE = `(performance) => {
  performance.mark('a', { startTime: 10, detail: { n: 1 } });
  performance.mark('b', { startTime: 25 });
  const m1 = performance.measure('a-b', 'a', 'b');
  const m2 = performance.measure('opts', { start: 'a', duration: 4, detail: 'x' });
  const m3 = performance.measure('to-b', { end: 'b', duration: 5 });
  let missing = null;
  try { performance.measure('bad', 'nope'); } catch (e) { missing = e.code ?? e.name; }
  const shape = (e) => [e.name, e.entryType, e.startTime, e.duration, e.detail];
  const out = {
    measures: [m1, m2, m3].map(shape),
    byName: performance.getEntriesByName('a').map(shape),
    marks: performance.getEntriesByType('mark').map((e) => e.name),
    missing,
    now: typeof performance.now() === 'number' && performance.now() >= 0,
  };
  performance.clearMarks('a');
  out.afterClear = performance.getEntriesByType('mark').map((e) => e.name);
  performance.clearMarks();
  performance.clearMeasures();
  out.cleared = performance.getEntries().length;
  return out;
}`;

describe('perf_hooks', () => {
  const runtime = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [64], onError: () => undefined });
  after(() => runtime.close());

  it('performance marks and measures answer as in plain Node', async () => {
    const expected = JSON.parse(JSON.stringify((new Function(`return ${PROBE}`)() as (p: unknown) => unknown)(nodePerformance)));
    const code = (await bundleSource({ 'index.js': `import { performance } from 'node:perf_hooks'; export const handler = async () => (${PROBE})(performance);` }, 'index.js')).code;
    assert.deepEqual(await handlerOnce(runtime, code), expected);
  });

  it('require() gives the module, and its clock is the isolate\'s own performance', async () => {
    const code = (await bundleSource({ 'index.js': `const ph = require('perf_hooks'); exports.handler = async () => [typeof ph.performance.now, Math.abs(ph.performance.timeOrigin - performance.timeOrigin) < 1, ph.performance.eventLoopUtilization().utilization];` }, 'index.js')).code;
    assert.deepEqual(await handlerOnce(runtime, code), ['function', true, 0]);
  });
});
