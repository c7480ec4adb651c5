import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NimbusError } from '../../core/errors.ts';
import { validateDestination } from './destination.ts';

function rejects(input: unknown, field: string, detail?: RegExp): void {
  assert.throws(
    () => validateDestination(input, 'onFailure'),
    (e: unknown) => {
      assert.ok(e instanceof NimbusError);
      assert.equal(e.code, 'NIMBUS_ERR_VALIDATION');
      assert.equal(e.extra.field, field);
      if (detail) assert.match(e.message, detail);
      return true;
    },
  );
}

test('function, topic and webhook destinations pass', () => {
  assert.deepEqual(validateDestination({ kind: 'function', name: 'audit-log' }), { kind: 'function', name: 'audit-log' });
  assert.deepEqual(validateDestination({ kind: 'topic', name: 'orders_v2' }), { kind: 'topic', name: 'orders_v2' });
  assert.deepEqual(validateDestination({ kind: 'webhook', url: 'http://127.0.0.1:9000/hook' }), {
    kind: 'webhook',
    url: 'http://127.0.0.1:9000/hook',
  });
});

test('bad shapes are rejected naming the field', () => {
  rejects('audit', 'onFailure', /must be an object/);
  rejects(null, 'onFailure');
  rejects({ kind: 'sqs', name: 'x' }, 'onFailure.kind', /"sqs"/);
  rejects({ name: 'x' }, 'onFailure.kind');
  rejects({ kind: 'function' }, 'onFailure.name');
  rejects({ kind: 'function', name: '-x' }, 'onFailure.name');
  rejects({ kind: 'function', name: 'a'.repeat(65) }, 'onFailure.name');
  rejects({ kind: 'function', name: 'x', url: 'https://a' }, 'onFailure.url', /not allowed for a function/);
  rejects({ kind: 'webhook', name: 'x' }, 'onFailure.name');
});

test('webhook URLs must be absolute http(s) URLs', () => {
  rejects({ kind: 'webhook' }, 'onFailure.url', /required/);
  rejects({ kind: 'webhook', url: '/relative' }, 'onFailure.url', /absolute/);
  rejects({ kind: 'webhook', url: 'ftp://example.com/x' }, 'onFailure.url', /http or https/);
  rejects({ kind: 'webhook', url: 'file:///etc/passwd' }, 'onFailure.url', /http or https/);
  rejects({ kind: 'webhook', url: 'https://example.com/' + 'a'.repeat(2100) }, 'onFailure.url', /longer/);
});
