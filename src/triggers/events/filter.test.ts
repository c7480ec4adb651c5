import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NimbusError } from '../../core/errors.ts';
import { matchesFilter, validateFilter, type FilterableEvent } from './filter.ts';

const order: FilterableEvent = { type: 'com.example.order.created', source: 'https://shop.example.com/eu', subject: 'order-42' };
const noSubject: FilterableEvent = { type: 'com.example.order.created', source: 'https://shop.example.com/eu' };

function rejects(input: unknown, field: string, detail: RegExp): void {
  assert.throws(
    () => validateFilter(input, 'subscription.filter'),
    (e: unknown) => e instanceof NimbusError && e.code === 'NIMBUS_ERR_VALIDATION' && e.extra.field === field && detail.test(e.message),
  );
}

test('short and long forms normalize to the long form', () => {
  assert.deepEqual(validateFilter({ type: 'com.example.order.created', source: { prefix: 'https://shop.' }, subject: { exact: 'x' } }), {
    type: { exact: 'com.example.order.created' },
    source: { prefix: 'https://shop.' },
    subject: { exact: 'x' },
  });
  assert.deepEqual(validateFilter(undefined), {});
  assert.deepEqual(validateFilter(null), {});
});

test('an empty filter matches everything', () => {
  assert.equal(matchesFilter({}, order), true);
  assert.equal(matchesFilter(validateFilter({}), noSubject), true);
});

test('exact matches the whole value, case-sensitively', () => {
  const f = validateFilter({ type: 'com.example.order.created' });
  assert.equal(matchesFilter(f, order), true);
  assert.equal(matchesFilter(f, { ...order, type: 'com.example.order.created.v2' }), false);
  assert.equal(matchesFilter(f, { ...order, type: 'com.example.order' }), false);
  assert.equal(matchesFilter(f, { ...order, type: 'COM.example.order.created' }), false);
});

test('prefix matches the start of the value', () => {
  const f = validateFilter({ type: { prefix: 'com.example.order.' } });
  assert.equal(matchesFilter(f, order), true);
  assert.equal(matchesFilter(f, { ...order, type: 'com.example.order.' }), true);
  assert.equal(matchesFilter(f, { ...order, type: 'com.example.orders.created' }), false);
  assert.equal(matchesFilter(f, { ...order, type: 'xcom.example.order.created' }), false);
});

test('all given constraints must match', () => {
  const f = validateFilter({ type: { prefix: 'com.example.' }, source: { prefix: 'https://shop.example.com/' }, subject: 'order-42' });
  assert.equal(matchesFilter(f, order), true);
  assert.equal(matchesFilter(f, { ...order, subject: 'order-43' }), false);
  assert.equal(matchesFilter(f, { ...order, source: 'https://other.example.com/eu' }), false);
  assert.equal(matchesFilter(f, { ...order, type: 'org.other.created' }), false);
});

test('an event without a subject does not match a subject constraint', () => {
  assert.equal(matchesFilter(validateFilter({ subject: { prefix: 'order-' } }), noSubject), false);
  assert.equal(matchesFilter(validateFilter({ type: { prefix: 'com.' } }), noSubject), true);
});

test('invalid filters name the field', () => {
  rejects('type=x', 'subscription.filter', /must be an object/);
  rejects([{ type: 'x' }], 'subscription.filter', /must be an object/);
  rejects({ tenant: 'acme' }, 'subscription.filter.tenant', /cannot filter on "tenant"; filters support type, source, subject/);
  rejects({ type: '' }, 'subscription.filter.type', /must not be empty/);
  rejects({ type: 7 }, 'subscription.filter.type', /exact match/);
  rejects({ type: { prefix: '' } }, 'subscription.filter.type.prefix', /leave the attribute out/);
  rejects({ type: { exact: 'a', prefix: 'b' } }, 'subscription.filter.type', /exactly one of "exact" or "prefix"/);
  rejects({ type: { suffix: 'b' } }, 'subscription.filter.type', /exactly one/);
  rejects({ source: { exact: null } }, 'subscription.filter.source.exact', /must be a string, got null/);
  rejects({ subject: { exact: 'x'.repeat(1025) } }, 'subscription.filter.subject.exact', /longer than 1024/);
});
