import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.ts';
import { LogCollector } from './log-collector.ts';
import { linesOf } from './log-query.ts';
import { sampleRecord } from '../store/contract.ts';

test('below the cap every line is kept in order; past it one visible marker, then nothing', () => {
  const clock = new FakeClock();
  const logs = new LogCollector(100, clock);
  const live: string[] = [];
  logs.subscribe((fn, id, l) => live.push(`${fn}/${id}/${l.level}/${l.msg}`));
  logs.open('a', 'f');
  for (let i = 0; i < 9; i++) logs.append('a', 'info', `line ${i}!!!!`); // 9 x 10 = 90 bytes
  logs.append('a', 'error', 'x'.repeat(10)); // 100: still at the cap
  logs.append('a', 'info', 'over');
  logs.append('a', 'info', 'more');
  const out = logs.close('a');
  assert.equal(out.truncated, true);
  assert.equal(out.logs.length, 11);
  assert.deepEqual(out.logs.slice(0, 9).map((l) => l.msg), Array.from({ length: 9 }, (_, i) => `line ${i}!!!!`));
  assert.equal(out.logs[9].level, 'error');
  assert.match(out.logs[10].msg, /truncated/);
  assert.equal(out.logs[10].level, 'warn');
  assert.equal(live.length, 11, 'the live stream sees the same lines, marker included');
  // After close, late lines go nowhere (no leak).
  logs.append('a', 'info', 'late');
  assert.deepEqual(logs.close('a'), { logs: [], truncated: false });
});

test('open invocations kept apart: lines go to their own, with or without secrets to hide; one that wrote nothing closes empty', () => {
  const clock = new FakeClock();
  const logs = new LogCollector(1000, clock);
  const live: string[] = [];
  logs.subscribe((fn, id, l) => live.push(`${fn}/${id}/${l.msg}`));
  logs.open('plain', 'f');
  logs.open('secret', 'g', (text) => text.replaceAll('hunter2', '***'));
  logs.open('quiet', 'f');
  assert.deepEqual(logs.peek('plain'), { logs: [], truncated: false });
  logs.append('plain', 'info', 'one');
  logs.append('secret', 'warn', 'pw hunter2');
  logs.append('plain', 'error', 'two');
  assert.deepEqual(logs.peek('plain').logs.map((l) => l.msg), ['one', 'two']);
  assert.deepEqual(logs.close('quiet'), { logs: [], truncated: false });
  assert.deepEqual(logs.close('plain').logs.map((l) => `${l.level} ${l.msg}`), ['info one', 'error two']);
  assert.deepEqual(logs.close('secret').logs.map((l) => `${l.level} ${l.msg}`), ['warn pw ***']);
  assert.deepEqual(live, ['f/plain/one', 'g/secret/pw ***', 'f/plain/two']);
  logs.append('quiet', 'info', 'late');
  assert.deepEqual(logs.close('quiet'), { logs: [], truncated: false }, 'closed: a late line goes nowhere');
  assert.deepEqual(live.length, 3);
});

test('log query: filters by level, text, invocation and time; JSON lines come parsed', () => {
  const r1 = sampleRecord('01', { functionName: 'f', logs: [{ t: 1, level: 'debug', msg: 'boot' }, { t: 3, level: 'warn', msg: '{"user":"ann","ok":false}' }] });
  const r2 = sampleRecord('02', { functionName: 'f', logs: [{ t: 2, level: 'error', msg: 'Boom happened' }] });
  const all = linesOf([r1, r2], {}, 100);
  assert.deepEqual(all.map((l) => l.t), [1, 2, 3]);
  assert.deepEqual(all[2].data, { user: 'ann', ok: false });
  assert.deepEqual(linesOf([r1, r2], { level: 'warn' }, 100).map((l) => l.invocationId), ['02', '01']);
  assert.deepEqual(linesOf([r1, r2], { grep: 'boom' }, 100).map((l) => l.msg), ['Boom happened']);
  assert.deepEqual(linesOf([r1, r2], { invocationId: '01', since: 2 }, 100).map((l) => l.t), [3]);
  assert.deepEqual(linesOf([r1, r2], {}, 2).map((l) => l.t), [2, 3], 'the newest lines within the limit');
});
