import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTraceparent, hexIds, parseTraceparent, startSpan } from './trace.ts';

test('traceparent: valid headers parse; invalid ones start a new trace', () => {
  const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  assert.deepEqual(parseTraceparent(tp), { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentId: '00f067aa0ba902b7', flags: '01' });
  assert.equal(parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01'), null, 'all-zero trace id');
  assert.equal(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'), null, 'all-zero parent');
  assert.equal(parseTraceparent('ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), null, 'version ff');
  assert.equal(parseTraceparent(tp + '-extra'), null, 'version 00 has exactly four fields');
  assert.ok(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future'), 'a later version may add fields');
  assert.equal(parseTraceparent('garbage'), null);
  const ids = hexIds((b) => b.fill(7));
  const child = startSpan(tp, ids);
  assert.equal(child.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(child.parentSpanId, '00f067aa0ba902b7');
  assert.match(child.spanId, /^[0-9a-f]{16}$/);
  assert.match(formatTraceparent(child), /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
  const root = startSpan('nope', ids);
  assert.match(root.traceId, /^[0-9a-f]{32}$/);
  assert.equal(root.parentSpanId, null);
  assert.notEqual(startSpan(undefined, ids).spanId, startSpan(undefined, ids).spanId);
});

test('trace and span ids: the per-process prefix, then a counter in 8 hex digits', () => {
  const ids = hexIds((b) => b.fill(7));
  assert.deepEqual(ids.root(), { traceId: '070707070707070707070707' + '00070708', spanId: '07070707' + '00070709' });
  assert.equal(ids.spanId(), '07070707' + '0007070a');
  assert.deepEqual(ids.root(), { traceId: '070707070707070707070707' + '0007070b', spanId: '07070707' + '0007070c' });
  const wrap = hexIds((b) => b.fill(0xff));
  assert.equal(wrap.root().traceId, 'ff'.repeat(12) + '01000000');
});
