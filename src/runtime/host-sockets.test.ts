import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SocketTable, UNACKED_MAX } from './host-sockets.ts';

function table() {
  const sent: Array<[number, string | Uint8Array]> = [];
  const closed: Array<[number, number, string]> = [];
  const over: number[] = [];
  const taken: Array<[number, number]> = [];
  const t = new SocketTable({ message: (id, d) => sent.push([id, d]), closed: (id, c, r) => closed.push([id, c, r]), taken: (id, n) => taken.push([id, n]) }, 64 * 1024);
  return { t, sent, closed, over, taken, open: (id: number) => t.open(id, 1, (s) => over.push(s.id)) };
}

describe('host sockets', () => {
  it('says stop after UNACKED_MAX unhandled client messages and drains on the ack that frees a place', () => {
    const { open, sent } = table();
    const s = open(1)!;
    let drained = 0;
    s.onDrain = () => drained++;
    const answers = Array.from({ length: UNACKED_MAX }, (_, i) => s.send(`m${i}`));
    assert.deepEqual(answers, [...Array(UNACKED_MAX - 1).fill(true), false]);
    assert.equal(sent.length, UNACKED_MAX);
    s.ack();
    assert.equal(drained, 1);
    s.ack();
    assert.equal(drained, 1);
    // acks the function side owes nothing for are ignored
    for (let i = 0; i < 100; i++) s.ack();
    assert.equal(s.send('x'), true);
  });

  it('queues what the function sends before the client is attached, bounded, and closes the client late', () => {
    const { open } = table();
    const s = open(2)!;
    assert.equal(s.fromFunction('early'), true);
    s.closeClient(4000, 'early close');
    const got: unknown[] = [];
    s.attach({ message: (m) => got.push(m) > 0, close: (c, r) => got.push([c, r]) });
    assert.deepEqual(got, ['early', [4000, 'early close']]);
    const t = open(3)!;
    assert.equal(t.fromFunction(new Uint8Array(600 * 1024)), true);
    assert.equal(t.fromFunction(new Uint8Array(600 * 1024)), false);
  });

  it('confirms what it took from the function in batches, and counts only what the client got', () => {
    const { open, taken } = table();
    const s = open(7)!;
    let accept = true;
    s.attach({ message: () => accept, close: () => undefined });
    for (let i = 0; i < 63; i++) s.fromFunction(new Uint8Array(1024));
    assert.deepEqual(taken, []);
    s.fromFunction(new Uint8Array(1024));
    assert.deepEqual(taken, [[7, 64 * 1024]]);
    accept = false;
    s.fromFunction('dropped');
    assert.equal(s.bytesOut, 64 * 1024);
  });

  it('refuses a socket number already in use, or not a positive integer; a closed socket is forgotten once', () => {
    const { open, t, closed, over } = table();
    assert.ok(open(5));
    assert.equal(open(5), null);
    assert.equal(open(0), null);
    assert.equal(open(-1), null);
    assert.equal(open(1.5), null);
    const s = t.get(5)!;
    s.close(1000, 'bye');
    s.close(1000, 'again');
    assert.deepEqual(closed, [[5, 1000, 'bye']]);
    assert.deepEqual(over, [5]);
    assert.equal(t.get(5), undefined);
    assert.equal(s.send('after'), false);
  });
});
