import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAfterTurn } from './after-turn.ts';

describe('afterTurn', () => {
  it('runs what a turn queued after that turn, in order, with one immediate; a callback that throws does not stop the rest', async () => {
    const errors: unknown[] = [];
    const afterTurn = createAfterTurn((e) => errors.push(e));
    const ran: string[] = [];
    const task = (fn: () => void) => ({ afterTurn: fn });
    afterTurn(task(() => ran.push('a')));
    afterTurn(
      task(() => {
        throw new Error('boom');
      }),
    );
    afterTurn(task(() => ran.push('c')));
    await Promise.resolve();
    assert.equal(ran.length, 0, 'not within the turn (microtasks included)');
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(ran, ['a', 'c']);
    assert.equal((errors[0] as Error).message, 'boom');
    afterTurn(task(() => ran.push('d')));
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(ran, ['a', 'c', 'd'], 'a later turn schedules again');
  });
});
