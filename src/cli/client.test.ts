import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, ConnectError, resolveClient } from './client.ts';

test('the CLI finds URL and token in the data directory; flags and the environment win', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'nimbus-cli-'));
  try {
    assert.deepEqual(resolveClient({}, {}, cwd).url, 'http://127.0.0.1:8080', 'nothing running: the default');
    const data = join(cwd, '.nimbus');
    mkdirSync(data);
    writeFileSync(join(data, 'url'), 'http://127.0.0.1:18300\n');
    writeFileSync(join(data, 'token'), 'tok-from-file-0123456789\n');
    const found = resolveClient({}, {}, cwd);
    assert.deepEqual([found.url, found.token], ['http://127.0.0.1:18300', 'tok-from-file-0123456789']);
    assert.equal(resolveClient({}, { NIMBUS_PORT: '9000' }, cwd).url, 'http://127.0.0.1:9000');
    assert.equal(resolveClient({}, { NIMBUS_URL: 'http://h:1/' }, cwd).url, 'http://h:1');
    assert.equal(resolveClient({ url: 'http://f:2' }, { NIMBUS_URL: 'http://h:1' }, cwd).url, 'http://f:2');
    assert.equal(resolveClient({}, { NIMBUS_TOKEN: 't-env' }, cwd).token, 't-env');
    writeFileSync(join(data, 'url'), 'garbage');
    assert.equal(resolveClient({}, {}, cwd).url, 'http://127.0.0.1:8080', 'an unreadable url file is ignored');
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});


test('a URL that is not http(s) is a usage error naming where it came from', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'nimbus-cli-'));
  try {
    assert.throws(() => resolveClient({ url: 'notaurl' }, {}, cwd), /--url gives "notaurl", which is not an http\(s\) URL/);
    assert.throws(() => resolveClient({}, { NIMBUS_URL: 'ftp://x' }, cwd), /NIMBUS_URL gives/);
    assert.throws(() => resolveClient({}, { NIMBUS_PORT: 'abc def' }, cwd), /NIMBUS_PORT gives/);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('from a sub-folder the CLI finds the .nimbus of a folder above; finding none, it says where it looked', async () => {
  const top = mkdtempSync(join(tmpdir(), 'nimbus-cli-'));
  try {
    const deep = join(top, 'a', 'b');
    mkdirSync(deep, { recursive: true });
    const none = resolveClient({}, {}, deep);
    assert.equal(none.token, null);
    assert.equal(none.tokenSource, `.nimbus/token in ${deep} and every folder above it`);
    assert.equal(none.url, 'http://127.0.0.1:8080');
    // With nothing running there, the one line says what was looked for, not only the URL tried.
    await assert.rejects(call({ ...none, url: 'http://127.0.0.1:1' }, 'GET', '/api/v1/functions'), (e: unknown) => {
      assert.ok(e instanceof ConnectError);
      assert.match(e.message, /^cannot reach Nimbus at http:\/\/127\.0\.0\.1:1 \([^;]+; the default URL: no running platform's data directory found, looked for \.nimbus\/token in .* and every folder above it\)/);
      assert.ok(e.message.includes(deep));
      return true;
    });
    assert.equal(resolveClient({ url: 'http://127.0.0.1:1' }, {}, deep).searched, undefined, 'a URL given is not a default: nothing to explain');
    mkdirSync(join(top, '.nimbus'));
    writeFileSync(join(top, '.nimbus', 'url'), 'http://127.0.0.1:18301\n');
    writeFileSync(join(top, '.nimbus', 'token'), 'tok-above\n');
    const found = resolveClient({}, {}, deep);
    assert.deepEqual([found.url, found.token, found.tokenSource], ['http://127.0.0.1:18301', 'tok-above', join(top, '.nimbus', 'token')]);
    assert.equal(resolveClient({ data: 'elsewhere' }, {}, deep).token, null, 'a named data directory is not searched for');
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
});

test("a .nimbus above that is not the user's own (another owner, or writable by all) is skipped, and said so", () => {
  const top = mkdtempSync(join(tmpdir(), 'nimbus-cli-'));
  try {
    const deep = join(top, 'shared', 'me');
    mkdirSync(deep, { recursive: true });
    const planted = join(top, 'shared', '.nimbus');
    mkdirSync(planted);
    writeFileSync(join(planted, 'url'), 'http://attacker.example\n');
    writeFileSync(join(planted, 'token'), 'their-token\n');
    chmodSync(planted, 0o777);
    const client = resolveClient({}, { NIMBUS_TOKEN: 'my-real-token' }, deep);
    assert.equal(client.url, 'http://127.0.0.1:8080', "the planted URL is not used, so the user's token does not go there");
    const none = resolveClient({}, {}, deep);
    assert.equal(none.token, null);
    assert.match(none.tokenSource, /skipped .*shared\/\.nimbus: not yours, or writable by others/);
    chmodSync(planted, 0o755);
    if (process.getuid?.() === 0) {
      chownSync(planted, 4242, 4242);
      assert.equal(resolveClient({}, {}, deep).token, null, "another user's .nimbus is not read");
      chownSync(planted, 0, 0);
    }
    assert.equal(resolveClient({}, {}, deep).token, 'their-token', 'the same folder, owned and not writable by all, is found');
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
});
