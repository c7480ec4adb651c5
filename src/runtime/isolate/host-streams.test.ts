/**
 * The host's ends of the isolate streams, driven as a misbehaving shim would: chunks
 * without credit, chunks that are not bytes, reads of another invocation's stream, a
 * second read while one is pending, messages after the end.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NimbusError } from '../../core/errors.ts';
import { Feed } from '../testing/feed.ts';
import { StreamTable, WINDOW, type StreamWire } from './host-streams.ts';

function wire() {
  const sent: Array<[string, ...unknown[]]> = [];
  const w: StreamWire = {
    pull: (id, n) => sent.push(['pull', id, n]),
    cancel: (id, reason) => sent.push(['cancel', id, reason]),
    data: (id, chunk, error) => sent.push(['data', id, chunk === null ? null : new TextDecoder().decode(chunk), error]),
  };
  return { sent, w };
}

const tooLarge = (limit: number) => new NimbusError('NIMBUS_ERR_BAD_RESPONSE', `over ${limit}`);
const bytes = (s: string) => new TextEncoder().encode(s).buffer as ArrayBuffer;

describe('host ends of isolate streams', () => {
  it('gives WINDOW chunks of credit, and more only as the reader takes them', async () => {
    const { sent, w } = wire();
    const t = new StreamTable(w);
    const s = t.openOutgoing(1, 7, 1000, tooLarge)!;
    assert.deepEqual(sent, [['pull', 1, WINDOW]]);
    for (let i = 0; i < WINDOW; i++) t.chunk(1, bytes(`c${i}`));
    assert.equal(sent.length, 1, 'no credit while the reader has read nothing');
    assert.equal(new TextDecoder().decode((await s.read())!), 'c0');
    assert.deepEqual(sent[1], ['pull', 1, 1]);
  });

  it('a chunk beyond the credit, or not bytes, cancels the stream in the isolate and fails its reader', async () => {
    const { sent, w } = wire();
    const t = new StreamTable(w);
    const s = t.openOutgoing(2, 7, 1000, tooLarge)!;
    for (let i = 0; i <= WINDOW; i++) t.chunk(2, bytes('x'));
    assert.equal(sent.at(-1)?.[0], 'cancel');
    await assert.rejects(s.read(), /no credit/);
    const s2 = t.openOutgoing(3, 7, 1000, tooLarge)!;
    t.chunk(3, { not: 'bytes' });
    await assert.rejects(s2.read(), /not bytes/);
    assert.equal(sent.at(-1)?.[0], 'cancel');
  });

  it('bytes past the limit cancel the stream and fail the reader with the limit error', async () => {
    const { sent, w } = wire();
    const t = new StreamTable(w);
    const s = t.openOutgoing(4, 7, 5, tooLarge)!;
    t.chunk(4, bytes('1234'));
    t.chunk(4, bytes('56'));
    // past the limit what was queued is dropped too: the response is cut off there
    await assert.rejects(s.read(), /over 5/);
    assert.deepEqual(sent.at(-1), ['cancel', 4, 'over 5']);
    // what comes after is ignored
    t.chunk(4, bytes('more'));
    assert.deepEqual(sent.at(-1), ['cancel', 4, 'over 5']);
  });

  it('a stream number in use, zero or not a number is refused', () => {
    const t = new StreamTable(wire().w);
    assert.ok(t.openOutgoing(5, 1, 10, tooLarge));
    assert.equal(t.openOutgoing(5, 1, 10, tooLarge), null);
    assert.equal(t.openOutgoing(0, 1, 10, tooLarge), null);
    assert.equal(t.openOutgoing(Number.NaN, 1, 10, tooLarge), null);
  });

  it('an incoming stream answers reads of its own invocation only, one at a time', async () => {
    const { sent, w } = wire();
    const t = new StreamTable(w);
    const feed = new Feed();
    const id = t.openIncoming(feed, 9);
    t.read(8, id); // another invocation
    t.read(9, id);
    t.read(9, id); // a second read while one is pending
    feed.push('a');
    await new Promise((r) => setImmediate(r));
    assert.equal(feed.reads, 1);
    assert.deepEqual(sent, [['data', id, 'a', null]]);
    t.read(9, 12345); // a number never given
    assert.deepEqual(sent.at(-1), ['data', 12345, null, 'the body is no longer available']);
  });

  it("the end of an invocation cancels what it left unread; the isolate's death fails every stream", async () => {
    const t = new StreamTable(wire().w);
    const a = new Feed();
    const b = new Feed();
    t.openIncoming(a, 1);
    t.openIncoming(b, 2);
    const out = t.openOutgoing(3, 2, 100, tooLarge)!;
    t.closeOf(1, new NimbusError('NIMBUS_ERR_BAD_REQUEST', 'over'));
    assert.ok(a.cancelled);
    assert.equal(b.cancelled, null);
    t.closeAll(() => new NimbusError('NIMBUS_ERR_TIMEOUT', 'late'));
    assert.equal((b.cancelled as NimbusError | null)?.code, 'NIMBUS_ERR_TIMEOUT');
    await assert.rejects(out.read(), /late/);
  });
});
