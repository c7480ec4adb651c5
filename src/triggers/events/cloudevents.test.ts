import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NimbusError, toProblem } from '../../core/errors.ts';
import {
  contentModeOf,
  fromJson,
  parseBatch,
  parseBinary,
  parseHttpCloudEvents,
  parseStructured,
  toBinary,
  toJson,
  toStructured,
  type CloudEvent,
} from './cloudevents.ts';

const base = { specversion: '1.0', id: 'evt-1', source: 'https://shop.example.com/orders', type: 'com.example.order.created' };
const structured = { 'content-type': 'application/cloudevents+json; charset=utf-8' };

function rejects(fn: () => unknown, field: string, detail: RegExp, code = 'NIMBUS_ERR_VALIDATION'): NimbusError {
  let caught: NimbusError | undefined;
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof NimbusError, String(e));
    assert.equal(e.code, code);
    assert.equal(e.extra.field, field);
    assert.match(e.message, detail);
    caught = e;
    return true;
  });
  return caught!;
}

test('structured mode: attributes, extensions and JSON data', () => {
  const body = JSON.stringify({
    ...base,
    subject: 'order-42',
    time: '2024-05-01T12:00:00.123+02:00',
    datacontenttype: 'application/json',
    dataschema: 'https://schemas.example.com/order.json',
    tenant: 'acme',
    priority: 3,
    urgent: true,
    data: { total: 9.5 },
  });
  const { mode, events } = parseHttpCloudEvents(structured, body);
  assert.equal(mode, 'structured');
  assert.deepEqual(events, [
    {
      ...base,
      subject: 'order-42',
      time: '2024-05-01T12:00:00.123+02:00',
      datacontenttype: 'application/json',
      dataschema: 'https://schemas.example.com/order.json',
      extensions: { tenant: 'acme', priority: 3, urgent: true },
      data: { total: 9.5 },
    },
  ]);
});

test('structured mode: data_base64 becomes bytes; null members count as absent', () => {
  const e = parseStructured(JSON.stringify({ ...base, subject: null, data_base64: Buffer.from([0, 1, 254]).toString('base64') }));
  assert.deepEqual(e.data, new Uint8Array([0, 1, 254]));
  assert.equal('subject' in e, false);
  assert.equal('data' in parseStructured(JSON.stringify({ ...base, data: null })), false);
});

test('structured mode accepts a Uint8Array body and a relative source', () => {
  const e = parseStructured(new TextEncoder().encode(JSON.stringify({ ...base, source: '/sensors/tn-1234567' })));
  assert.equal(e.source, '/sensors/tn-1234567');
  assert.equal(parseStructured(JSON.stringify({ ...base, source: 'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66' })).source.slice(0, 4), 'urn:');
});

test('required attributes are named when missing or empty', () => {
  for (const name of ['id', 'source', 'type'] as const) {
    const { [name]: _omit, ...rest } = base;
    rejects(() => parseStructured(JSON.stringify(rest)), name, /is required/);
    rejects(() => parseStructured(JSON.stringify({ ...base, [name]: '' })), name, /must not be empty/);
  }
  const { specversion: _s, ...noVersion } = base;
  rejects(() => parseStructured(JSON.stringify(noVersion)), 'specversion', /required/);
  rejects(() => parseStructured(JSON.stringify({ ...base, specversion: '0.3' })), 'specversion', /must be "1.0", got "0.3"/);
  rejects(() => parseStructured(JSON.stringify({ ...base, specversion: 1.0 })), 'specversion', /must be "1.0", got 1/);
});

test('attribute values are type- and format-checked, naming the attribute', () => {
  const bad = (extra: Record<string, unknown>) => () => parseStructured(JSON.stringify({ ...base, ...extra }));
  rejects(bad({ id: 42 }), 'id', /must be a string, got number/);
  rejects(bad({ source: 'not a uri' }), 'source', /not a URI-reference/);
  rejects(bad({ source: '1abc:x' }), 'source', /not a valid URI scheme/);
  rejects(bad({ source: 'https://x/%zz' }), 'source', /URI-reference/);
  rejects(bad({ dataschema: '/relative/schema' }), 'dataschema', /absolute URI/);
  rejects(bad({ time: 'yesterday' }), 'time', /RFC 3339/);
  rejects(bad({ time: '2024-02-30T00:00:00Z' }), 'time', /out of range/);
  rejects(bad({ time: '2024-05-01 12:00:00Z' }), 'time', /RFC 3339/);
  rejects(bad({ time: '2024-05-01T12:00:00' }), 'time', /RFC 3339/);
  rejects(bad({ datacontenttype: 'json' }), 'datacontenttype', /media type/);
  rejects(bad({ subject: 'a\u0007b' }), 'subject', /control character/);
  assert.equal(parseStructured(JSON.stringify({ ...base, time: '2024-02-29T23:59:60Z' })).time, '2024-02-29T23:59:60Z');
});

test('extension attribute names are 1-20 lower-case letters or digits; values are scalars', () => {
  const bad = (extra: Record<string, unknown>) => () => parseStructured(JSON.stringify({ ...base, ...extra }));
  rejects(bad({ Tenant: 'x' }), 'Tenant', /1-20 lower-case letters/);
  rejects(bad({ trace_id: 'x' }), 'trace_id', /not a valid attribute name/);
  rejects(bad({ abcdefghijklmnopqrstu: 'x' }), 'abcdefghijklmnopqrstu', /not a valid attribute name/);
  rejects(bad({ nested: { a: 1 } }), 'nested', /string, a boolean or a 32-bit integer, got object/);
  rejects(bad({ list: [1] }), 'list', /got an array/);
  rejects(bad({ ratio: 0.5 }), 'ratio', /32-bit integer, got 0.5/);
  rejects(bad({ big: 2 ** 31 }), 'big', /32-bit integer/);
  assert.deepEqual(parseStructured(JSON.stringify({ ...base, abcdefghijklmnopqrst: 'x' })).extensions, { abcdefghijklmnopqrst: 'x' });
});

test('data and data_base64 together, or bad base64, are rejected', () => {
  rejects(() => parseStructured(JSON.stringify({ ...base, data: 1, data_base64: 'AA==' })), 'data_base64', /together/);
  rejects(() => parseStructured(JSON.stringify({ ...base, data_base64: 'not base64!' })), 'data_base64', /base64/);
});

test('a structured body that is not JSON, or not an object, is a bad request', () => {
  assert.throws(() => parseStructured('{oops'), (e: unknown) => e instanceof NimbusError && e.code === 'NIMBUS_ERR_BAD_REQUEST' && /not valid JSON/.test(e.message));
  assert.throws(() => parseStructured('[1]'), (e: unknown) => e instanceof NimbusError && e.code === 'NIMBUS_ERR_BAD_REQUEST');
  assert.throws(() => parseStructured(new Uint8Array([0xff, 0xfe])), (e: unknown) => e instanceof NimbusError && /UTF-8/.test(e.message));
});

test('a number too large for a double (1e309) is a bad request in every mode, not data delivered as null', () => {
  const tooLarge = (fn: () => unknown, field?: string) =>
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof NimbusError, String(e));
      assert.equal(e.code, 'NIMBUS_ERR_BAD_REQUEST');
      assert.equal(e.extra.field, field);
      assert.match(e.message, /too large for a double.*send it as a string/);
      return true;
    });
  const event = '{"specversion":"1.0","id":"1","source":"s","type":"t","data":{"n":1e309}}';
  tooLarge(() => parseStructured(event));
  tooLarge(() => parseHttpCloudEvents(structured, new TextEncoder().encode(event)));
  tooLarge(() => parseBatch(`[{"specversion":"1.0","id":"0","source":"s","type":"t"},${event.replace('1e309', '-1E+400')}]`));
  const ce = { 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': 's', 'ce-type': 't', 'content-type': 'application/json' };
  tooLarge(() => parseBinary(ce, '{"n":[1' + '0'.repeat(309) + ']}'), 'data');
  tooLarge(() => parseHttpCloudEvents(ce, new TextEncoder().encode('1e309')), 'data');
  // Large numbers a double holds, tiny ones, and the same text in strings pass as they are.
  assert.deepEqual(parseStructured('{"specversion":"1.0","id":"1","source":"s","type":"t","data":{"n":1e308,"m":1e-400,"s":"1e309"}}').data, { n: 1e308, m: 0, s: '1e309' });
  assert.deepEqual(parseBinary(ce, '{"n":1e308,"s":"1e309"}').data, { n: 1e308, s: '1e309' });
  // A text body is not JSON: its "1e309" is the text.
  assert.equal(parseBinary({ ...ce, 'content-type': 'text/plain' }, '1e309').data, '1e309');
});

test('the problem document names the attribute (what the gateway returns as 400)', () => {
  const err = rejects(() => parseStructured(JSON.stringify({ ...base, source: 'has space' })), 'source', /source/);
  const problem = toProblem(err, '/api/v1/topics/orders/events');
  assert.equal(problem.status, 400);
  assert.equal(problem.field, 'source');
  assert.match(problem.detail, /CloudEvent attribute "source"/);
});

test('batch mode: an array of events, possibly empty; errors carry the index', () => {
  const body = JSON.stringify([{ ...base, data: 1 }, { ...base, id: 'evt-2', data_base64: 'AQI=' }]);
  const { mode, events } = parseHttpCloudEvents({ 'Content-Type': 'application/cloudevents-batch+json' }, body);
  assert.equal(mode, 'batch');
  assert.deepEqual(events.map((e) => e.id), ['evt-1', 'evt-2']);
  assert.deepEqual(events[1].data, new Uint8Array([1, 2]));
  assert.deepEqual(parseBatch('[]'), []);
  const err = rejects(() => parseBatch(JSON.stringify([base, { ...base, type: 7 }])), 'type', /^event 1 of the batch: .*"type"/);
  assert.equal(err.extra.index, 1);
  assert.throws(() => parseBatch(JSON.stringify(base)), (e: unknown) => e instanceof NimbusError && e.code === 'NIMBUS_ERR_BAD_REQUEST' && /JSON array/.test(e.message));
  assert.throws(() => parseBatch('[1]'), (e: unknown) => e instanceof NimbusError && e.extra.index === 0);
});

test('binary mode: ce-* headers, Content-Type as datacontenttype, JSON body parsed', () => {
  const { mode, events } = parseHttpCloudEvents(
    {
      'ce-specversion': '1.0',
      'CE-ID': 'evt-9',
      'ce-source': '/orders',
      'ce-type': 'com.example.order.created',
      'ce-subject': 'order%2042',
      'ce-time': '2024-05-01T12:00:00Z',
      'ce-tenant': 'acme',
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'curl',
    },
    '{"total": 9.5}',
  );
  assert.equal(mode, 'binary');
  assert.deepEqual(events[0], {
    specversion: '1.0',
    id: 'evt-9',
    source: '/orders',
    type: 'com.example.order.created',
    subject: 'order 42',
    time: '2024-05-01T12:00:00Z',
    datacontenttype: 'application/json; charset=utf-8',
    extensions: { tenant: 'acme' },
    data: { total: 9.5 },
  });
});

test('binary mode: text, bytes and empty bodies; WHATWG Headers', () => {
  const h = (ct?: string) => {
    const headers = new Headers({ 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/s', 'ce-type': 't' });
    if (ct) headers.set('content-type', ct);
    return headers;
  };
  assert.equal(parseBinary(h('text/plain'), 'héllo').data, 'héllo');
  assert.deepEqual(parseBinary(h('application/octet-stream'), new Uint8Array([9, 8])).data, new Uint8Array([9, 8]));
  assert.deepEqual(parseBinary(h(), new Uint8Array([7]).buffer).data, new Uint8Array([7]));
  const empty = parseBinary(h('application/json'), '');
  assert.equal('data' in empty, false);
  assert.equal(empty.datacontenttype, 'application/json');
});

test('binary mode: header values are unquoted and percent-decoded as UTF-8', () => {
  const headers = (subject: string) => ({ 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/s', 'ce-type': 't', 'ce-subject': subject });
  assert.equal(parseBinary(headers('Euro%20%E2%82%AC%20%F0%9F%98%80'), '').subject, 'Euro € 😀');
  assert.equal(parseBinary(headers('"quoted \\"value\\""'), '').subject, 'quoted "value"');
  assert.equal(parseBinary(headers('%c3%a9'), '').subject, 'é', 'lower-case hex is accepted');
  rejects(() => parseBinary(headers('%C0%A0'), ''), 'subject', /not valid percent-encoded UTF-8/);
  rejects(() => parseBinary(headers('100%'), ''), 'subject', /percent-encoded/);
});

test('binary mode errors name the attribute', () => {
  const ok = { 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/s', 'ce-type': 't' };
  rejects(() => parseBinary({ ...ok, 'ce-datacontenttype': 'text/plain' }, ''), 'datacontenttype', /Content-Type header/);
  rejects(() => parseBinary({ ...ok, 'ce-trace_id': 'x' }, ''), 'trace_id', /attribute name/);
  rejects(() => parseBinary({ ...ok, 'ce-specversion': '0.3' }, ''), 'specversion', /"1.0"/);
  rejects(() => parseBinary({ 'ce-specversion': '1.0', 'ce-source': '/s', 'ce-type': 't' }, ''), 'id', /required/);
  rejects(() => parseBinary({ ...ok, 'content-type': 'application/json' }, '{nope'), 'data', /not valid JSON/);
  rejects(() => parseBinary({ ...ok, 'content-type': 'text/plain' }, new Uint8Array([0xff])), 'data', /UTF-8/);
  rejects(() => parseHttpCloudEvents({ 'content-type': 'application/json' }, '{}'), 'specversion', /not a CloudEvent/);
});

test('content mode comes from Content-Type; unknown event formats are 415', () => {
  assert.equal(contentModeOf('application/cloudevents+json; charset=UTF-8'), 'structured');
  assert.equal(contentModeOf('Application/CloudEvents-Batch+JSON'), 'batch');
  assert.equal(contentModeOf('application/json'), 'binary');
  assert.equal(contentModeOf(undefined), 'binary');
  for (const ct of ['application/cloudevents+avro', 'application/cloudevents', 'application/cloudevents-batch+protobuf']) {
    assert.throws(() => contentModeOf(ct), (e: unknown) => e instanceof NimbusError && e.code === 'NIMBUS_ERR_UNSUPPORTED_MEDIA_TYPE' && e.status === 415, ct);
  }
});

const sample: CloudEvent = {
  specversion: '1.0',
  id: 'a b',
  source: '/orders',
  type: 'com.example.order.created',
  subject: 'naïve "quote" 100%',
  time: '2024-05-01T12:00:00Z',
  datacontenttype: 'application/json',
  extensions: { tenant: 'acme', priority: 3 },
  data: { total: 9.5 },
};

test('toJson / toStructured render the JSON format and parse back to the same event', () => {
  assert.deepEqual(toJson(sample), {
    specversion: '1.0',
    id: 'a b',
    source: '/orders',
    type: 'com.example.order.created',
    datacontenttype: 'application/json',
    subject: 'naïve "quote" 100%',
    time: '2024-05-01T12:00:00Z',
    tenant: 'acme',
    priority: 3,
    data: { total: 9.5 },
  });
  const out = toStructured(sample);
  assert.equal(out.headers['content-type'], 'application/cloudevents+json; charset=utf-8');
  assert.deepEqual(parseHttpCloudEvents(out.headers, out.body).events[0], sample);
  const bytes: CloudEvent = { ...sample, datacontenttype: undefined, data: new Uint8Array([1, 2, 3]) };
  delete (bytes as { datacontenttype?: string }).datacontenttype;
  assert.equal(JSON.parse(toStructured(bytes).body).data_base64, 'AQID');
  assert.deepEqual(fromJson(JSON.parse(toStructured(bytes).body)), bytes);
});

test('toBinary percent-encodes headers and parses back to the same event', () => {
  const out = toBinary(sample);
  assert.equal(out.headers['ce-id'], 'a%20b');
  assert.equal(out.headers['ce-subject'], 'na%C3%AFve%20%22quote%22%20100%25');
  assert.equal(out.headers['ce-priority'], '3');
  assert.equal(out.headers['content-type'], 'application/json');
  assert.equal(out.body, '{"total":9.5}');
  for (const value of Object.values(out.headers)) assert.match(value, /^[\x21-\x7e]*$/);
  const back = parseBinary(out.headers, out.body);
  assert.deepEqual(back, { ...sample, extensions: { tenant: 'acme', priority: '3' } }, 'headers carry extensions as strings');
});

test('toBinary picks a Content-Type when datacontenttype is absent', () => {
  const { datacontenttype: _d, ...noType } = sample;
  assert.equal(toBinary({ ...noType, data: 'hi' }).headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal(toBinary({ ...noType, data: [1] }).headers['content-type'], 'application/json');
  assert.equal(toBinary({ ...noType, data: new Uint8Array([1]) }).headers['content-type'], undefined);
  const none = toBinary({ ...noType, data: undefined });
  assert.equal(none.body, '');
  assert.equal(none.headers['content-type'], undefined);
  assert.equal(toBinary({ ...sample, data: 'a string' }).body, '"a string"', 'a string under a JSON type is a JSON string');
});
