/** Releases end to end: aliases, an 80/20 split, rollback, qualifiers; secrets kept out of every answer, record, log and the database file. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { cli, eventually, invocationRecord, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

const versionSays = (word: string) => `export default { async fetch() { return new Response('${word}'); } }`;
const SECRET = 'S3cret-Value-42-xyz';

interface RecordView {
  id: string;
  version: number;
  alias: string | null;
  logs: { msg: string }[];
  errorMessage: string | null;
}

describe('releases over the API and the CLI', () => {
  let p: RunningPlatform;
  before(async () => {
    p = await startPlatform();
    await p.deploy('split', versionSays('one'));
    await p.deploy('split', versionSays('two'));
  });
  after(async () => {
    await p.stop();
    p.cleanup();
  });

  const get = async (path: string) => {
    const res = await fetch(p.url + path);
    return { status: res.status, text: await res.text(), id: res.headers.get('x-nimbus-invocation-id') };
  };

  it('without an alias /fn/<name> runs the latest version; @<version> reaches any version', async () => {
    assert.equal((await get('/fn/split/')).text, 'two');
    assert.equal((await get('/fn/split@1/')).text, 'one');
    assert.equal((await get('/fn/split@2/')).text, 'two');
    const missing = await get('/fn/split@canary/');
    assert.equal(missing.status, 404);
    assert.match(missing.text, /NIMBUS_ERR_ALIAS_NOT_FOUND/);
    assert.equal((await get('/fn/split@9/')).status, 404);
  });

  it('1,000 requests to an 80/20 split land within ±5 %, and every record names its version and alias', async () => {
    const set = await cli(p, ['alias', 'set', 'split', 'live', '1=80', '2=20']);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /split@live → 1=80% 2=20%/);
    let two = 0;
    const ids: string[] = [];
    for (let batch = 0; batch < 50; batch++) {
      const answers = await Promise.all(Array.from({ length: 20 }, () => get('/fn/split/')));
      for (const a of answers) {
        assert.equal(a.status, 200);
        if (a.text === 'two') two++;
        else assert.equal(a.text, 'one');
        ids.push(a.id as string);
      }
    }
    assert.ok(two >= 150 && two <= 250, `version 2 served ${two} of 1000`);
    const sample = ids.slice(0, 20);
    for (const id of sample) {
      const record = await invocationRecord<RecordView>(p, id);
      assert.equal(record.alias, 'live');
      assert.ok(record.version === 1 || record.version === 2);
    }
    const direct = await get('/fn/split@2/');
    const record = await eventually(async () => {
      const res = await p.api(`/api/v1/invocations/${direct.id}`);
      return res.ok ? ((await res.json()) as RecordView) : null;
    });
    assert.equal(record.alias, null);
    assert.equal(record.version, 2);
  });

  it('a promotion takes effect for the next request, and rollback puts the previous target back for the next one', async () => {
    const promoted = await cli(p, ['promote', 'split', '2']);
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.equal((await get('/fn/split/')).text, 'two');
    assert.equal((await get('/fn/split@live/')).text, 'two');
    await cli(p, ['alias', 'set', 'split', 'live', '1']);
    assert.equal((await get('/fn/split/')).text, 'one');
    const back = await cli(p, ['rollback', 'split']);
    assert.equal(back.code, 0, back.stderr);
    assert.equal((await get('/fn/split/')).text, 'two');
    const info = await cli(p, ['info', 'split']);
    assert.match(info.stdout, /aliases +live → 2/);
    const ls = await cli(p, ['alias', 'ls', 'split', '--json']);
    const aliases = JSON.parse(ls.stdout) as { name: string; routes: unknown; previous: unknown }[];
    assert.deepEqual(aliases.map((a) => [a.name, a.routes, a.previous]), [['live', [{ version: 2, weight: 100 }], [{ version: 1, weight: 100 }]]]);
    const removed = await cli(p, ['alias', 'rm', 'split', 'live']);
    assert.equal(removed.code, 0, removed.stderr);
    await p.deploy('split', versionSays('three'));
    assert.equal((await get('/fn/split/')).text, 'three', 'without live: the latest version');
  });

  it('an async invocation with a qualifier runs that version', async () => {
    const res = await p.api('/api/v1/functions/split@1/invoke', { method: 'POST', headers: { prefer: 'respond-async' }, body: '{}' });
    assert.equal(res.status, 202, await res.clone().text());
    const { invocationId: id } = (await res.json()) as { invocationId: string };
    const record = await invocationRecord<RecordView>(p, id).catch(async (e) => {
      throw new Error(`${e}: ${await (await p.api(`/api/v1/async/${id}`)).text()}`);
    });
    assert.equal(record.version, 1);

    assert.equal((await cli(p, ['topics', 'create', 'rel'])).code, 0);
    const added = await cli(p, ['triggers', 'add', 'split@1', '--topic', 'rel']);
    assert.equal(added.code, 0, added.stderr);
    const published = await cli(p, ['events', 'publish', 'rel', '--type', 'rel.test', '--source', 'test', '--data', '{}']);
    assert.equal(published.code, 0, published.stderr);
    const fromEvent = await eventually(async () => {
      const r = await p.api('/api/v1/invocations?function=split&limit=100');
      return ((await r.json()) as { items: (RecordView & { trigger: string })[] }).items.find((x) => x.trigger === 'event');
    });
    assert.equal(fromEvent.version, 1, 'a subscription of split@1 runs version 1, not the latest (3)');
  });

  it('an async invocation or a trigger whose qualifier names no version or alias is refused when asked, not queued into the DLQ', async () => {
    const refusals = [
      ['split@nope', 'NIMBUS_ERR_ALIAS_NOT_FOUND'],
      ['split@', 'NIMBUS_ERR_ALIAS_NOT_FOUND'],
      ['split@@1', 'NIMBUS_ERR_ALIAS_NOT_FOUND'],
      ['split@99', 'NIMBUS_ERR_VERSION_NOT_FOUND'],
      ['nosuch@1', 'NIMBUS_ERR_FUNCTION_NOT_FOUND'],
    ] as const;
    const refused = new Set<string>(refusals.map(([target]) => target));
    for (const [target, code] of refusals) {
      const submitted = await p.api(`/api/v1/functions/${encodeURIComponent(target)}/invoke`, { method: 'POST', headers: { prefer: 'respond-async' }, body: '{}' });
      const problem = (await submitted.json()) as { code: string; detail: string };
      assert.deepEqual([submitted.status, problem.code], [404, code], `${target}: ${problem.detail}`);
      const trigger = await p.api('/api/v1/triggers', { method: 'POST', body: JSON.stringify({ function: target, schedule: 'rate(1 hour)' }) });
      const answer = (await trigger.json()) as { code: string; field?: string };
      assert.deepEqual([trigger.status, answer.code, answer.field], [404, code, 'function'], target);
    }
    const queued = (await (await p.api('/api/v1/async?limit=100')).json()) as { items: Array<{ function: string }> };
    assert.deepEqual(queued.items.filter((i) => refused.has(i.function)), []);
    const triggers = (await (await p.api('/api/v1/triggers')).json()) as { items: Array<{ function?: string }> };
    assert.deepEqual(triggers.items.filter((t) => t.function !== undefined && refused.has(t.function)), []);
  });

  it('a secret reaches the function in env but never an API answer, a record, `nimbus logs` or the database file; rollback restores the old value', async () => {
    await p.deploy('vault', `export async function handler(event, context) { return { told: 'pw=' + context.env.DB_PASSWORD }; }
    export default { async fetch(req, env) {
      const pw = env.DB_PASSWORD ?? 'none';
      console.log('connecting with ' + pw);
      if (new URL(req.url).pathname === '/fail') throw new Error('login refused for ' + pw);
      return new Response(pw.split('').reverse().join(''));
    } }`);
    const first = await cli(p, ['secrets', 'set', 'vault', 'DB_PASSWORD'], {}, 'old-value-1\n');
    assert.equal(first.code, 0, first.stderr);
    await cli(p, ['promote', 'vault']);
    assert.equal((await get('/fn/vault/')).text, '1-eulav-dlo');
    const set = await cli(p, ['secrets', 'set', 'vault', 'DB_PASSWORD'], {}, SECRET + '\n');
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /version 3/);
    await cli(p, ['promote', 'vault']);
    const ok = await get('/fn/vault/');
    assert.equal(ok.text, [...SECRET].reverse().join(''), 'the function read the secret');
    const failed = await get('/fn/vault/fail');
    assert.equal(failed.status, 500);
    assert.ok(!failed.text.includes(SECRET), failed.text);
    assert.match(failed.text, /login refused for \[redacted\]/);

    const wf = { StartAt: 'Ask', States: { Ask: { Type: 'Task', Resource: 'fn:vault', End: true } } };
    await p.api('/api/v1/workflows/ask-vault', { method: 'PUT', body: JSON.stringify({ definition: wf }) });
    const run = await p.api('/api/v1/workflows/ask-vault/run', { method: 'POST', body: JSON.stringify({ input: {} }) });
    const ran = (await run.json()) as { output: unknown; executionId: string };
    assert.deepEqual(ran.output, { told: 'pw=[redacted]' });
    const history = await cli(p, ['wf', 'history', ran.executionId, '--json']);
    assert.equal(history.code, 0, history.stderr);
    assert.match(history.stdout, /pw=\[redacted\]/);
    const invoked = await p.api('/api/v1/functions/vault/invoke', { method: 'POST', body: '{}' });
    assert.deepEqual(await invoked.json(), { told: 'pw=[redacted]' });

    assert.match((await cli(p, ['info', 'vault'])).stdout, /secrets +DB_PASSWORD/);
    const ls = await cli(p, ['secrets', 'ls', 'vault']);
    assert.equal(ls.stdout.trim(), 'DB_PASSWORD');
    const records = await eventually(async () => {
      const res = await p.api('/api/v1/invocations?function=vault&limit=50');
      const body = (await res.json()) as { items: RecordView[] };
      return body.items.filter((r) => r.version === 3).length >= 2 ? body.items : null;
    });
    const logs = await cli(p, ['logs', 'vault', '--since', '1h']);
    assert.match(logs.stdout, /connecting with \[redacted\]/);
    const answers = [
      JSON.stringify(records),
      logs.stdout,
      logs.stderr,
      await (await p.api('/api/v1/functions/vault')).text(),
      await (await p.api('/api/v1/functions/vault/versions')).text(),
      await (await p.api('/api/v1/functions/vault/secrets')).text(),
      await (await p.api('/api/v1/functions')).text(),
      (await cli(p, ['info', 'vault', '--json'])).stdout,
      history.stdout,
      JSON.stringify(ran),
    ];
    for (const text of answers) assert.ok(!text.includes(SECRET) && !text.includes('old-value-1'), `a secret leaked: ${text.slice(0, 400)}`);
    assert.ok(JSON.stringify(records).includes('[redacted]'));

    const rolled = await cli(p, ['rollback', 'vault']);
    assert.equal(rolled.code, 0, rolled.stderr);
    assert.equal((await get('/fn/vault/')).text, '1-eulav-dlo', 'rollback brings the old value back');

    await p.stop();
    for (const file of ['nimbus.db', 'nimbus.db-wal']) {
      const path = join(p.dataDir, file);
      if (!existsSync(path)) continue;
      const bytes = readFileSync(path);
      assert.equal(bytes.indexOf(SECRET), -1, `${file} holds the secret`);
      assert.equal(bytes.indexOf('old-value-1'), -1, `${file} holds the old secret`);
    }
  });
});
