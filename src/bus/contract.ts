/**
 * The contract every Bus (port.ts) must pass. `open` makes a bus for one node; two calls
 * are two nodes sharing one bus (for the in-process bus, the same instance: it has one node).
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { Bus } from './port.ts';

/** Resolves with the first `n` messages `bus` gets on `subject`. */
function collect(bus: Bus, subject: string, n: number): { got: unknown[]; done: Promise<unknown[]>; stop: () => void } {
  const got: unknown[] = [];
  let resolve!: (v: unknown[]) => void;
  const done = new Promise<unknown[]>((r) => (resolve = r));
  const stop = bus.subscribe(subject, (m) => {
    got.push(m);
    if (got.length === n) resolve(got);
  });
  return { got, done, stop };
}

export function busContract(name: string, open: () => Promise<Bus>, options: { sharedInstance?: boolean } = {}): void {
  describe(`Bus contract: ${name}`, () => {
    const opened: Bus[] = [];
    const node = async () => {
      const bus = options.sharedInstance && opened.length > 0 ? opened[0] : await open();
      if (!opened.includes(bus)) opened.push(bus);
      return bus;
    };
    afterEach(async () => {
      for (const b of opened.splice(0)) await b.close();
    });
    const subject = (s: string) => `test.${process.pid}.${Date.now().toString(36)}.${s}`;

    it('a message reaches every subscriber on every node, the publisher’s included, as a copy of its JSON', async () => {
      const a = await node();
      const b = await node();
      const s = subject('fanout');
      const onA = collect(a, s, 1);
      const onB = collect(b, s, 1);
      const onB2 = collect(b, s, 1);
      await a.flush();
      await b.flush();
      const sent = { kind: 'function', name: 'api', at: 1, nested: [1, 'two', null] };
      await a.publish(s, sent);
      assert.deepEqual(await Promise.all([onA.done, onB.done, onB2.done]), [[sent], [sent], [sent]]);
      assert.notEqual(onA.got[0], sent, 'a copy, not the object itself');
    });

    it('order from one publisher is kept; other subjects are not delivered; unsubscribing stops delivery', async () => {
      const a = await node();
      const b = await node();
      const s = subject('order');
      const other = subject('other');
      const seen = collect(b, s, 100);
      const strangers: unknown[] = [];
      const stopOther = b.subscribe(other, (m) => strangers.push(m));
      await b.flush();
      for (let i = 0; i < 100; i++) await a.publish(s, i);
      assert.deepEqual(await seen.done, Array.from({ length: 100 }, (_, i) => i));
      seen.stop();
      await a.publish(s, 'after');
      await a.publish(other, 'marker');
      await a.flush();
      const marker = collect(b, other, 1);
      await b.flush();
      await a.publish(other, 'marker2');
      await marker.done;
      stopOther();
      assert.equal(seen.got.length, 100, 'nothing after unsubscribing');
      assert.ok(strangers.every((m) => m === 'marker' || m === 'marker2'));
    });

    it('a subject that is not dot-separated tokens is refused', async () => {
      const a = await node();
      await assert.rejects(a.publish('bad subject', 1), /NIMBUS_ERR_VALIDATION|not dot-separated/);
      await assert.rejects(a.publish('a..b', 1));
      await assert.rejects(a.publish('>', 1));
    });
  });
}
