import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NimbusError } from '../core/errors.ts';
import { idFrom, newId } from '../core/ids.ts';
import { taskInvocationId } from '../workflow/engine/task-runner.ts';
import { cursorQuery, intQuery, limitOf, wholeNumber } from './query.ts';

function refused(fn: () => unknown, field: string): void {
  assert.throws(fn, (e: unknown) => e instanceof NimbusError && e.code === 'NIMBUS_ERR_VALIDATION' && e.extra.field === field && e.message.startsWith(field + ' '));
}

describe('whole-number query parameters', () => {
  it('wholeNumber reads decimal digits only, as a safe integer', () => {
    assert.equal(wholeNumber('0'), 0);
    assert.equal(wholeNumber('0016'), 16);
    assert.equal(wholeNumber('9007199254740991'), Number.MAX_SAFE_INTEGER);
    for (const raw of ['', ' ', ' 5', '5 ', '0x10', '0b1', '0o7', '1e2', '1.0', '1.5', '+1', '-1', 'Infinity', 'NaN', '١٢', '9007199254740992', '99999999999999999999']) {
      assert.equal(wholeNumber(raw), null, JSON.stringify(raw));
    }
  });

  it('intQuery: absent is the default; given, it is digits within the range, else a 400 naming the parameter', () => {
    assert.equal(intQuery(null, 'after', { dflt: 0, min: 0 }), 0);
    assert.equal(intQuery('16', 'after', { dflt: 0, min: 0 }), 16);
    for (const raw of ['0x10', '', ' ', '99999999999999999999', '-1', '1e1']) refused(() => intQuery(raw, 'after', { dflt: 0, min: 0, what: 'an event id' }), 'after');
    refused(() => intQuery('0', 'version', { dflt: 1, min: 1 }), 'version');
    assert.throws(() => intQuery('0x10', 'after', { dflt: 0, min: 0, what: 'an event id' }), /after "0x10" must be an event id \(digits only\), 0 or more/);
  });

  it('limitOf: 1 to 1000, the fallback when absent', () => {
    assert.equal(limitOf(null), 50);
    assert.equal(limitOf(null, 1000), 1000);
    assert.equal(limitOf('1000'), 1000);
    for (const raw of ['0', '1001', '0x10', '1e2', '', '%20', ' 5']) refused(() => limitOf(raw), 'limit');
    assert.throws(() => limitOf('1e2'), /limit "1e2" must be a whole number \(digits only\), from 1 to 1000/);
  });

  it('cursorQuery: absent is no cursor; an id (what `next` gives) passes; anything else is a 400 naming the parameter', () => {
    const id = newId(1_700_000_000_000);
    assert.equal(cursorQuery(null), undefined);
    assert.equal(cursorQuery(id), id);
    // Ids of the other makers that end up in lists: event deliveries (idFrom) and workflow task invocations.
    for (const other of [idFrom(1_700_000_000_000, 'sub:1'), taskInvocationId('exec:A#1:attempt-0', 1_700_000_000_000)]) assert.equal(cursorQuery(other), other);
    for (const raw of ['garbage', '', ' ', 'zzzzzzzzzz', id.toUpperCase(), id + 'x', `${id.slice(0, 25)}u`]) refused(() => cursorQuery(raw), 'before');
    assert.throws(() => cursorQuery('garbage'), /before "garbage" is not a cursor: pass the `next` of the previous page/);
  });
});
