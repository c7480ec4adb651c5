/**
 * Web APIs inside the isolate answer as the standards say where Node 20 cannot be the
 * reference (fixtures/webapi/probes-standards.ts): URL setters and hosts, Fetch bodies,
 * Blob and File arguments, structuredClone, trusted events, WebIDL conversions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../core/clock.ts';
import { bundlePath } from '../../deploy/bundle.ts';
import { eventCall, handlerValue, startWith } from '../contract.ts';
import { standardsProbes } from './fixtures/webapi/probes-standards.ts';
import { createIsolateRuntime } from './index.ts';

describe('Web APIs in the isolate answer as the standards say', () => {
  const runtime = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [64], onError: () => undefined });
  let probe: Awaited<ReturnType<typeof startWith>>;
  before(async () => {
    probe = await startWith(runtime, (await bundlePath(fileURLToPath(new URL('./fixtures/webapi', import.meta.url)))).code);
  });
  after(async () => {
    await probe.instance.dispose();
    await runtime.close();
  });
  for (const [name, { expected }] of Object.entries(standardsProbes)) {
    it(name, async () => {
      assert.deepEqual(handlerValue(await probe.instance.invoke(eventCall(`probe-${name}`, name))), expected);
    });
  }
});
