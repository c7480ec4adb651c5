import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromBlocks, toBlocks } from './history-blocks.ts';

const ev = (id: number, text = `{"id":${id}}`) => ({ id, json: text });
const rows = (blocks: ReturnType<typeof toBlocks>) => blocks.map((b) => ({ first_event_id: b.first, last_event_id: b.last, events: b.events }));

test('consecutive events are one block; a gap or a newline in a text starts another', () => {
  assert.deepEqual(toBlocks([ev(2), ev(3), ev(4)]), [{ first: 2, last: 4, events: '{"id":2}\n{"id":3}\n{"id":4}' }]);
  assert.deepEqual(toBlocks([ev(2), ev(4), ev(5)]), [
    { first: 2, last: 2, events: '{"id":2}' },
    { first: 4, last: 5, events: '{"id":4}\n{"id":5}' },
  ]);
  assert.deepEqual(toBlocks([ev(1), ev(2, '{\n"id": 2}'), ev(3)]), [
    { first: 1, last: 1, events: '{"id":1}' },
    { first: 2, last: 2, events: '{\n"id": 2}' },
    { first: 3, last: 3, events: '{"id":3}' },
  ]);
  assert.deepEqual(toBlocks([]), []);
});

test('reading pages by event id across blocks, each text as written', () => {
  const blocks = rows([...toBlocks([ev(1)]), ...toBlocks([ev(2), ev(3, '{\n"id":3}'), ev(4), ev(5)]), ...toBlocks([ev(6), ev(7)])]);
  const all = ['{"id":1}', '{"id":2}', '{\n"id":3}', '{"id":4}', '{"id":5}', '{"id":6}', '{"id":7}'];
  for (let after = 0; after <= 7; after++) {
    for (let limit = 1; limit <= 8; limit++) {
      const from = blocks.filter((b) => b.last_event_id > after);
      assert.deepEqual(fromBlocks(from, after, limit), all.slice(after, after + limit), `after ${after}, limit ${limit}`);
    }
  }
});
