/**
 * Async invocation, dead letters, timers and events against the real server and CLI:
 * 202 + status, idempotency, policies and DLQ redrive, cron with seconds, CloudEvents in
 * both modes with filters, function-to-function chaining through an events topic, bad
 * input, and every answer checked against the OpenAPI document.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, eventually, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
  components: { schemas: Record<string, unknown> };
};

const ECHO = `export async function handler(event, context) { return { event, attempt: context.attempt, id: context.invocationId }; }`;
const FLAKY = `export async function handler(event, context) { if (context.env.FAIL === '1') throw new Error('flaky says no'); return { ok: true }; }`;
// Publishes a CloudEvent from inside the function through its env binding (sugar over a fetch
// to env.NIMBUS_EVENTS_URL with the publish-only env.NIMBUS_EVENTS_TOKEN).
const CHAIN = `
export async function handler(event, context) {
  return context.env.EVENTS.publish('orders', { id: context.invocationId, source: '/chain', type: 'com.shop.chained', data: { from: event } });
}`;

describe('async invocation, triggers and events (real server)', () => {
  let p: RunningPlatform;
  let doc: Doc;
  const ajv = new Ajv2020({ strict: false });

  before(async () => {
    p = await startPlatform();
    doc = (await (await fetch(`${p.url}/api/v1/openapi.json`)).json()) as Doc;
    for (const [name, schema] of Object.entries(doc.components.schemas)) ajv.addSchema(schema as object, `#/components/schemas/${name}`);
    await p.deploy('echo', ECHO);
    await p.deploy('sink', ECHO);
    await p.deploy('chain', CHAIN);
    await p.deploy('flaky', FLAKY, { env: { FAIL: '1' } });
  });
  after(async () => {
    await p.stop();
    p.cleanup();
  });

  /** Calls the API and checks the answer against the documented schema; returns status and body. */
  async function check(method: string, template: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
    const res = await p.api(path, { method, ...init });
    const op = doc.paths[template]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${template} is not documented`);
    const documented = op.responses[String(res.status)];
    assert.ok(documented, `${method} ${path} answered ${res.status}, which is not documented`);
    if (res.status === 204) return { status: 204, body: null };
    const type = (res.headers.get('content-type') ?? '').split(';')[0];
    const content = documented.content?.[type];
    assert.ok(content, `${method} ${path} answered ${type}, not documented for ${res.status}`);
    const body = await res.json();
    const validate = ajv.compile(content.schema as object);
    assert.ok(validate(body), `${method} ${path} ${res.status}: ${ajv.errorsText(validate.errors)}`);
    return { status: res.status, body };
  }

  it('Prefer: respond-async answers 202 with an id; the status becomes succeeded; an Idempotency-Key repeat returns the first id', async () => {
    const headers = { prefer: 'respond-async', 'idempotency-key': 'order-1' };
    const first = await check('POST', '/api/v1/functions/{name}/invoke', '/api/v1/functions/echo/invoke', { headers, body: '{"n":1}' });
    assert.equal(first.status, 202);
    const again = await check('POST', '/api/v1/functions/{name}/invoke', '/api/v1/functions/echo/invoke', { headers, body: '{"n":2}' });
    assert.deepEqual([again.body.invocationId, again.body.created], [first.body.invocationId, false]);
    const id = first.body.invocationId as string;
    const status = await eventually(async () => {
      const s = await check('GET', '/api/v1/async/{id}', `/api/v1/async/${id}`);
      return s.body.state === 'succeeded' ? s.body : null;
    });
    assert.deepEqual([status.function, status.trigger, status.attempts], ['echo', 'async', 1]);
    const record = await eventually(async () => {
      const r = await p.api(`/api/v1/invocations/${id}`);
      return r.ok ? ((await r.json()) as { trigger: string; attempt: number }) : null;
    });
    assert.deepEqual([record.trigger, record.attempt], ['async', 1]);
    await check('GET', '/api/v1/async', '/api/v1/async?function=echo&limit=5');
    await check('GET', '/api/v1/async/{id}', '/api/v1/async/nope');
    await check('POST', '/api/v1/functions/{name}/invoke', '/api/v1/functions/missing/invoke', { headers: { prefer: 'respond-async' }, body: '{}' });
    // The CLI: --async prints the id; --key dedupes the same way.
    const a = await cli(p, ['invoke', 'echo', '--async', '--key', 'cli-1', '--data', '{"x":1}', '--json']);
    const b = await cli(p, ['invoke', 'echo', '--async', '--key', 'cli-1', '--json']);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(JSON.parse(a.stdout).invocationId, JSON.parse(b.stdout).invocationId);
    const shown = await eventually(async () => {
      const r = await cli(p, ['async', 'show', JSON.parse(a.stdout).invocationId, '--json']);
      return JSON.parse(r.stdout).state === 'succeeded' ? JSON.parse(r.stdout) : null;
    });
    assert.deepEqual(shown.payload, { x: 1 });
  });

  it('list cursors: paging with `next` walks every item once; a `before` that is not an id is a 400 naming it, not the whole list', async () => {
    await p.deploy('pager', ECHO);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await check('POST', '/api/v1/functions/{name}/invoke', '/api/v1/functions/pager/invoke', { headers: { prefer: 'respond-async' }, body: JSON.stringify({ i }) });
      ids.push(res.body.invocationId as string);
    }
    await eventually(async () => {
      const r = await check('GET', '/api/v1/invocations', '/api/v1/invocations?function=pager&limit=1000');
      return r.body.items.length === 5 ? true : null;
    });
    /** Every page of a list, following `next`; the ids in order. */
    const walk = async (template: string, path: string): Promise<string[]> => {
      const seen: string[] = [];
      let next: string | null = null;
      do {
        const page: { body: { items: Array<{ id: string }>; next: string | null } } = await check('GET', template, `${path}&limit=2${next === null ? '' : `&before=${next}`}`);
        seen.push(...page.body.items.map((item) => item.id));
        next = page.body.next;
      } while (next !== null);
      return seen;
    };
    for (const [template, path] of [['/api/v1/async', '/api/v1/async?function=pager'], ['/api/v1/invocations', '/api/v1/invocations?function=pager']]) {
      const whole = ((await check('GET', template, `${path}&limit=1000`)).body.items as Array<{ id: string }>).map((item) => item.id);
      assert.deepEqual([...whole].sort(), [...ids].sort(), path);
      assert.deepEqual(await walk(template, path), whole, path);
    }
    for (const [template, path] of [
      ['/api/v1/invocations', '/api/v1/invocations?before='],
      ['/api/v1/async', '/api/v1/async?before='],
      ['/api/v1/dlq', '/api/v1/dlq?before='],
      ['/api/v1/executions', '/api/v1/executions?before='],
    ]) {
      for (const bad of ['garbage', '', encodeURIComponent(ids[0].toUpperCase()), ids[0] + 'x']) {
        const res = await check('GET', template, path + bad);
        assert.equal(res.status, 400, `${path}${bad}: ${JSON.stringify(res.body)}`);
        assert.deepEqual([res.body.code, res.body.field], ['NIMBUS_ERR_VALIDATION', 'before'], path + bad);
        assert.match(res.body.detail, /is not a cursor: pass the `next` of the previous page/);
      }
      // An id works as a cursor on every list, whether or not that list holds it.
      assert.equal((await check('GET', template, path + ids[4])).status, 200, path);
    }
  });

  it('a policy exhausts into the dead-letter list; dlq ls/show/redrive through the CLI; redriven it succeeds', async () => {
    const bad = await check('PUT', '/api/v1/functions/{name}/async-policy', '/api/v1/functions/flaky/async-policy', { body: '{"maxAttempts":0}' });
    assert.equal(bad.body.field, 'async.maxAttempts');
    const set = await check('PUT', '/api/v1/functions/{name}/async-policy', '/api/v1/functions/flaky/async-policy', {
      body: JSON.stringify({ maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 20 }),
    });
    assert.equal(set.body.effective.maxAttempts, 2);
    await check('GET', '/api/v1/functions/{name}/async-policy', '/api/v1/functions/flaky/async-policy');
    const submitted = await p.api('/api/v1/functions/flaky/invoke', { method: 'POST', headers: { prefer: 'respond-async' }, body: '{"k":"v"}' });
    const { invocationId: id } = (await submitted.json()) as { invocationId: string };
    const dead = await eventually(async () => {
      const r = await cli(p, ['dlq', 'ls', 'flaky', '--json']);
      return (JSON.parse(r.stdout) as Array<{ id: string }>).find((d) => d.id === id);
    });
    assert.ok(dead);
    const shown = JSON.parse((await cli(p, ['dlq', 'show', id, '--json'])).stdout);
    assert.deepEqual([shown.deadReason, shown.attempts, shown.lastError.code, shown.payload], ['max-attempts', 2, 'NIMBUS_ERR_FUNCTION_ERROR', { k: 'v' }]);
    assert.match(shown.lastError.message, /flaky says no/);
    await check('GET', '/api/v1/dlq', '/api/v1/dlq?function=flaky');
    await check('GET', '/api/v1/dlq/{id}', `/api/v1/dlq/${id}`);
    // Fix the function, then redrive: same id, attempts from 1, succeeds.
    await p.deploy('flaky', FLAKY, { env: { FAIL: '0' } });
    const redrive = await cli(p, ['dlq', 'redrive', id]);
    assert.equal(redrive.code, 0, redrive.stderr);
    await eventually(async () => ((await (await p.api(`/api/v1/async/${id}`)).json()) as { state: string }).state === 'succeeded');
    await check('POST', '/api/v1/dlq/{id}/redrive', `/api/v1/dlq/${id}/redrive`);
    await check('POST', '/api/v1/dlq/redrive', '/api/v1/dlq/redrive', { body: '{"function":"flaky"}' });
    await check('DELETE', '/api/v1/dlq/{id}', `/api/v1/dlq/${id}`);
    await check('DELETE', '/api/v1/functions/{name}/async-policy', '/api/v1/functions/flaky/async-policy');
  });

  it('a cron trigger with seconds fires; triggers ls shows next fire times; bad cron and missing functions are refused', async () => {
    const added = await cli(p, ['triggers', 'add', 'echo', '--schedule', '*/2 * * * * *', '--tz', 'Europe/Berlin', '--json']);
    assert.equal(added.code, 0, added.stderr);
    const trigger = JSON.parse(added.stdout) as { id: string; next: string[] };
    assert.equal(trigger.next.length, 3);
    assert.ok(trigger.next.every((t) => new Date(t).getUTCSeconds() % 2 === 0));
    const fired = await eventually(async () => {
      const body = (await (await p.api('/api/v1/invocations?function=echo&limit=50')).json()) as { items: Array<{ trigger: string }> };
      return body.items.filter((r) => r.trigger === 'cron').length >= 2;
    }, 10_000);
    assert.ok(fired);
    const ls = await cli(p, ['triggers', 'ls', 'echo']);
    assert.match(ls.stdout, /\*\/2 \* \* \* \* \*/);
    await check('GET', '/api/v1/triggers', '/api/v1/triggers?function=echo&next=5');
    await check('GET', '/api/v1/triggers/{id}', `/api/v1/triggers/${trigger.id}`);
    assert.equal((await cli(p, ['triggers', 'rm', trigger.id])).code, 0);
    await check('DELETE', '/api/v1/triggers/{id}', `/api/v1/triggers/${trigger.id}`);
    const badCron = await check('POST', '/api/v1/triggers', '/api/v1/triggers', { body: JSON.stringify({ function: 'echo', schedule: '61 * * * *' }) });
    assert.equal(badCron.body.field, 'schedule');
    assert.match(badCron.body.detail, /minute field "61"/);
    const badZone = await cli(p, ['triggers', 'add', 'echo', '--schedule', '@daily', '--tz', 'Mars/Olympus']);
    assert.equal(badZone.code, 1);
    assert.match(badZone.stderr, /unknown time zone/);
    const missing = await check('POST', '/api/v1/triggers', '/api/v1/triggers', { body: JSON.stringify({ function: 'ghost', topic: 'orders' }) });
    assert.equal(missing.body.code, 'NIMBUS_ERR_FUNCTION_NOT_FOUND');
  });

  it('CloudEvents in structured and binary mode reach matching subscriptions; malformed events are a 400 naming the attribute', async () => {
    await check('POST', '/api/v1/topics', '/api/v1/topics', { body: '{"name":"orders"}' });
    const sub = await check('POST', '/api/v1/triggers', '/api/v1/triggers', {
      body: JSON.stringify({ function: 'sink', topic: 'orders', filter: { type: { prefix: 'com.shop.' }, subject: { prefix: 'eu-' } } }),
    });
    assert.equal(sub.status, 201);
    const structured = await check('POST', '/api/v1/events/{topic}', '/api/v1/events/orders', {
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ specversion: '1.0', id: 'e1', source: '/shop', type: 'com.shop.created', subject: 'eu-1', data: { total: 9.5 } }),
    });
    assert.deepEqual([structured.status, structured.body.deliveries, structured.body.mode], [202, 1, 'structured']);
    const binary = await check('POST', '/api/v1/events/{topic}', '/api/v1/events/orders', {
      headers: { 'ce-specversion': '1.0', 'ce-id': 'e2', 'ce-source': '/shop', 'ce-type': 'com.shop.paid', 'ce-subject': 'eu-2', 'content-type': 'application/json' },
      body: '{"total":3}',
    });
    assert.deepEqual([binary.body.deliveries, binary.body.mode], [1, 'binary']);
    const filtered = await check('POST', '/api/v1/events/{topic}', '/api/v1/events/orders', {
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ specversion: '1.0', id: 'e3', source: '/shop', type: 'com.shop.created', subject: 'us-3' }),
    });
    assert.equal(filtered.body.deliveries, 0, 'subject prefix does not match');
    const repeat = await check('POST', '/api/v1/events/{topic}', '/api/v1/events/orders', {
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ specversion: '1.0', id: 'e1', source: '/shop', type: 'com.shop.created', subject: 'eu-1' }),
    });
    assert.equal(repeat.body.deliveries, 0, 'the same source+id is delivered once');
    const malformed = await check('POST', '/api/v1/events/{topic}', '/api/v1/events/orders', {
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ specversion: '1.0', id: 'e4', source: 'my shop', type: 'com.shop.created' }),
    });
    assert.deepEqual([malformed.status, malformed.body.field], [400, 'source']);
    const noType = await check('POST', '/api/v1/events/{topic}', '/api/v1/events/orders', {
      headers: { 'ce-specversion': '1.0', 'ce-id': 'e5', 'ce-source': '/shop', 'content-type': 'text/plain' },
      body: 'hi',
    });
    assert.deepEqual([noType.status, noType.body.field], [400, 'type']);
    await check('POST', '/api/v1/events/{topic}', '/api/v1/events/nowhere', { headers: { 'content-type': 'application/cloudevents+json' }, body: '{}' });
    const delivered = await eventually(async () => {
      const body = (await (await p.api('/api/v1/async?function=sink&state=succeeded')).json()) as { items: Array<{ trigger: string }> };
      return body.items.filter((i) => i.trigger === 'event').length >= 2 ? body.items : null;
    });
    assert.ok(delivered);
    await check('GET', '/api/v1/topics', '/api/v1/topics');
    await check('GET', '/api/v1/topics/{topic}', '/api/v1/topics/orders');
    await check('DELETE', '/api/v1/topics/{topic}', '/api/v1/topics/orders'); // 409: it has a subscription
    const pub = await cli(p, ['events', 'publish', 'orders', '--type', 'com.shop.created', '--source', '/cli', '--subject', 'eu-9', '--data', '{"a":1}']);
    assert.equal(pub.code, 0, pub.stderr);
    assert.match(pub.stdout, /1 delivery queued/);
    const text = await cli(p, ['events', 'publish', 'orders', '--type', 'com.shop.note', '--source', '/cli', '--text', '{not json', '--json']);
    assert.equal(text.code, 0, text.stderr);
    assert.deepEqual([JSON.parse(text.stdout).event.data, JSON.parse(text.stdout).event.datacontenttype], ['{not json', 'text/plain']);
    const notJson = await cli(p, ['events', 'publish', 'orders', '--type', 'com.shop.note', '--source', '/cli', '--data', '{not json']);
    assert.equal(notJson.code, 2);
    assert.match(notJson.stderr, /--data is not valid JSON.*--text for plain text/);
    const topicsLs = JSON.parse((await cli(p, ['topics', 'ls', '--json'])).stdout) as Array<{ name: string; subscriptions: number }>;
    assert.deepEqual(topicsLs.find((t) => t.name === 'orders')?.subscriptions, 1);
  });

  it('a topic name no topic can have is a 400 saying what a name may be, not a 404 suggesting to create it', async () => {
    const event = { headers: { 'content-type': 'application/cloudevents+json' }, body: '{"specversion":"1.0","id":"1","source":"/s","type":"t"}' };
    for (const name of ['a%2Fb', '-x', 'a%20b', 'x'.repeat(65), '%C3%A9t%C3%A9']) {
      for (const [method, template, path, init] of [
        ['POST', '/api/v1/events/{topic}', `/api/v1/events/${name}`, event],
        ['GET', '/api/v1/topics/{topic}', `/api/v1/topics/${name}`, {}],
        ['DELETE', '/api/v1/topics/{topic}', `/api/v1/topics/${name}`, {}],
      ] as const) {
        const res = await check(method, template, path, init);
        assert.equal(res.status, 400, `${method} ${path}: ${JSON.stringify(res.body)}`);
        assert.deepEqual([res.body.code, res.body.field], ['NIMBUS_ERR_VALIDATION', 'topic'], `${method} ${path}`);
        assert.match(res.body.detail, /must be a topic name \(1-64 letters, digits, "-" or "_", starting with a letter or digit\)/);
        assert.doesNotMatch(res.body.detail, /topics create/);
      }
    }
    // A valid name that is not a topic is still the 404 that says how to create it.
    const missing = await check('POST', '/api/v1/events/{topic}', '/api/v1/events/nowhere-yet', event);
    assert.deepEqual([missing.status, missing.body.code], [404, 'NIMBUS_ERR_TOPIC_NOT_FOUND']);
    assert.match(missing.body.detail, /nimbus topics create nowhere-yet/);
  });

  it('a function publishes an event from inside (env binding) and a subscriber runs: functions chain', async () => {
    await p.api('/api/v1/topics', { method: 'POST', body: '{"name":"orders"}' });
    await p.api('/api/v1/triggers', { method: 'POST', body: JSON.stringify({ function: 'sink', topic: 'orders', filter: { type: 'com.shop.chained' } }) });
    const res = await p.api('/api/v1/functions/chain/invoke', { method: 'POST', headers: { prefer: 'respond-async' }, body: '{"order":42}' });
    const { invocationId } = (await res.json()) as { invocationId: string };
    const got = await eventually(async () => {
      const body = (await (await p.api('/api/v1/async?function=sink&limit=100')).json()) as { items: Array<{ id: string; state: string; source: string }> };
      for (const item of body.items) {
        const full = (await (await p.api(`/api/v1/async/${item.id}?payload=true`)).json()) as { state: string; payload: { type: string; id: string; data: unknown } };
        if (full.payload?.type === 'com.shop.chained' && full.payload.id === invocationId && full.state === 'succeeded') return full.payload;
      }
      return null;
    }, 10_000);
    assert.deepEqual(got.data, { from: { order: 42 } });
    // A publish token only publishes: it is not an API token.
    const token = 'nfp_chain.' + 'x'.repeat(43);
    const denied = await fetch(`${p.url}/api/v1/events/orders`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{}' });
    assert.equal(denied.status, 401);
  });

  it('a deploy declares its async policy and triggers next to its code; the next deploy replaces them', async () => {
    const res = await p.api('/api/v1/functions/declared', {
      method: 'PUT',
      body: JSON.stringify({
        source: { files: { 'index.ts': ECHO }, entry: 'index.ts' },
        async: { maxAttempts: 5, onFailure: { kind: 'function', name: 'sink' } },
        triggers: [{ schedule: 'rate(5 minutes)' }, { topic: 'audit', filter: { source: { prefix: '/shop' } } }],
      }),
    });
    assert.equal(res.status, 201, await res.text());
    const listed = (await (await p.api('/api/v1/triggers?function=declared')).json()) as { items: Array<{ kind: string; origin: string; next?: string[] }> };
    assert.deepEqual(listed.items.map((t) => [t.kind, t.origin]), [['timer', 'deploy'], ['event', 'deploy']]);
    assert.equal(listed.items[0].next?.length, 3);
    const policy = (await (await p.api('/api/v1/functions/declared/async-policy')).json()) as { effective: { maxAttempts: number } };
    assert.equal(policy.effective.maxAttempts, 5);
    const invalid = await p.api('/api/v1/functions/declared', {
      method: 'PUT',
      body: JSON.stringify({ source: { files: { 'index.ts': ECHO }, entry: 'index.ts' }, triggers: [{ schedule: '* * * *' }] }),
    });
    assert.equal(invalid.status, 400);
    assert.equal(((await invalid.json()) as { field: string }).field, 'triggers[0].schedule');
    await p.api('/api/v1/functions/declared', { method: 'PUT', body: JSON.stringify({ source: { files: { 'index.ts': ECHO }, entry: 'index.ts' }, triggers: [] }) });
    const after = (await (await p.api('/api/v1/triggers?function=declared')).json()) as { items: unknown[] };
    assert.equal(after.items.length, 0);
    // Deleting a function removes its triggers.
    await p.api('/api/v1/triggers', { method: 'POST', body: JSON.stringify({ function: 'declared', schedule: '@hourly' }) });
    await p.api('/api/v1/functions/declared', { method: 'DELETE' });
    assert.equal(((await (await p.api('/api/v1/triggers?function=declared')).json()) as { items: unknown[] }).items.length, 0);
  });

  it('the CLI sends <file>.nimbus.json along and says the declaration was applied even when the code is unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-decl-'));
    try {
      writeFileSync(join(dir, 'report.ts'), ECHO);
      writeFileSync(join(dir, 'report.nimbus.json'), JSON.stringify({ triggers: [{ schedule: '@daily' }] }));
      const first = await cli(p, ['deploy', 'report', join(dir, 'report.ts')]);
      assert.equal(first.code, 0, first.stderr);
      const timers = async () => ((await (await p.api('/api/v1/triggers?function=report')).json()) as { items: unknown[] }).items.length;
      assert.equal(await timers(), 1);
      writeFileSync(join(dir, 'report.nimbus.json'), JSON.stringify({ triggers: [] }));
      const second = await cli(p, ['deploy', 'report', join(dir, 'report.ts')]);
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /is unchanged/);
      assert.match(second.stdout, /declared triggers applied/);
      assert.equal(await timers(), 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
