import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FIELDS, loadConfig, parseBytes, parseDuration, parseMegabytes } from './config.ts';

test('defaults: loopback, port 8080, ./.nimbus, examples on', () => {
  const c = loadConfig({}, [], '/work');
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 8080);
  assert.equal(c.dataDir, '/work/.nimbus');
  assert.equal(c.deployExamples, true);
  assert.equal(c.payloadLimitBytes, 6 * 1024 * 1024);
  assert.ok(Object.isFrozen(c));
});

test('flags win over environment variables', () => {
  const c = loadConfig({ NIMBUS_PORT: '9000', NIMBUS_HOST: '0.0.0.0' }, ['--port', '9100', '--data=/d'], '/work');
  assert.equal(c.port, 9100);
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.dataDir, '/d');
});

test('--no-examples and boolean flags without a value', () => {
  assert.equal(loadConfig({}, ['--no-examples'], '/').deployExamples, false);
  assert.equal(loadConfig({ NIMBUS_EXAMPLES: '0' }, ['--examples'], '/').deployExamples, true);
});

test('errors name the key and the bad value', () => {
  assert.throws(() => loadConfig({ NIMBUS_PORT: 'eighty' }, [], '/'), (e: Error & { extra: Record<string, unknown> }) => {
    assert.match(e.message, /port/);
    assert.match(e.message, /eighty/);
    assert.equal(e.extra.field, 'port');
    return true;
  });
  assert.throws(() => loadConfig({}, ['--prot', '1'], '/'), /--prot.*not a known flag/);
  assert.throws(() => loadConfig({}, ['--port'], '/'), /needs a value/);
  assert.throws(() => loadConfig({}, ['--log-level', 'loud'], '/'), /logLevel/);
});

test('durations and sizes', () => {
  assert.equal(parseDuration('10s'), 10_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('1.5m'), 90_000);
  assert.equal(parseDuration('42'), 42);
  assert.throws(() => parseDuration('soon'));
  assert.equal(parseBytes('6mb'), 6 * 1024 * 1024);
  assert.equal(parseBytes('512KB'), 512 * 1024);
  assert.throws(() => parseBytes('big'));
  for (const v of ['1g', '1G', '1gb', '1GiB', '1024m', '1024MB']) assert.equal(parseBytes(v), 1024 ** 3, v);
  assert.equal(parseMegabytes('128'), 128);
  for (const v of ['1g', '1gb', '1024m', '1024MB', '1048576k', '1073741824b']) assert.equal(parseMegabytes(v), 1024, v);
  assert.throws(() => parseMegabytes('1 gigabyte'));
  assert.equal(loadConfig({ NIMBUS_MEMORY_BUDGET_MB: '32g' }, [], '/tmp').memoryBudgetMb, 32 * 1024);
  assert.equal(loadConfig({}, ['--memory-budget', '4096'], '/tmp').memoryBudgetMb, 4096);
});

test('docs/configuration.md documents every flag and variable', () => {
  const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  for (const f of FIELDS) {
    assert.ok(doc.includes(`\`${f.flag}\``), `${f.flag} missing from docs/configuration.md`);
    assert.ok(doc.includes(`\`${f.env}\``), `${f.env} missing from docs/configuration.md`);
  }
});

test('request body settings: timeouts and a budget no smaller than the largest body allowed', () => {
  const c = loadConfig({}, [], '/');
  assert.deepEqual([c.headersTimeoutMs, c.bodyTimeoutMs, c.bodyBudgetBytes], [30_000, 30_000, 128 * 1024 * 1024]);
  const set = loadConfig({ NIMBUS_BODY_TIMEOUT: '2s' }, ['--headers-timeout', '500ms', '--body-budget', '64mb'], '/');
  assert.deepEqual([set.headersTimeoutMs, set.bodyTimeoutMs, set.bodyBudgetBytes], [500, 2000, 64 * 1024 * 1024]);
  assert.throws(() => loadConfig({}, ['--body-budget', '8mb'], '/'), /bodyBudgetBytes.*below the largest body allowed \(16777216 bytes/);
  assert.throws(() => loadConfig({}, ['--payload-limit', '512mb'], '/'), /bodyBudgetBytes/);
  assert.throws(() => loadConfig({}, ['--body-timeout', '10ms'], '/'), /bodyTimeoutMs/);
});

test('--store / NIMBUS_STORE: SQLite unless a postgres:// URL is given; a bad one is refused without its password', () => {
  assert.equal(loadConfig({}, [], '/').store, '');
  assert.equal(loadConfig({}, ['--store', 'sqlite'], '/').store, '');
  assert.equal(loadConfig({ NIMBUS_STORE: 'postgres://u@db:5432/n' }, [], '/').store, 'postgres://u@db:5432/n');
  assert.equal(loadConfig({ NIMBUS_STORE: 'postgres://u@db/n' }, ['--store=postgresql://v@h/m'], '/').store, 'postgresql://v@h/m');
  assert.throws(() => loadConfig({}, ['--store', 'mysql://u:hunter2@db/n'], '/'), (e: Error) => {
    assert.match(e.message, /store/);
    assert.doesNotMatch(e.message, /hunter2/);
    return true;
  });
});
