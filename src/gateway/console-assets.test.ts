import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { CONSOLE_CSP, createConsoleHandler } from './console-assets.ts';

let dir: string;
let server: Server;
let base: string;
const JS = `console.log(${JSON.stringify('x'.repeat(2000))});`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nimbus-console-assets-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="/console/assets/app-abc123.js"></script>');
  writeFileSync(join(dir, 'assets', 'app-abc123.js'), JS);
  const handler = createConsoleHandler(dir);
  server = createServer((req, res) => void handler(req, res));
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

it('serves the app for any page path, never cached, under the strict CSP', async () => {
  for (const path of ['/console/', '/console/functions/hello', '/console/executions/x%2Fy']) {
    const res = await fetch(base + path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.equal(res.headers.get('content-security-policy'), CONSOLE_CSP);
    assert.match(CONSOLE_CSP, /script-src 'self'(;|$)/);
    assert.doesNotMatch(CONSOLE_CSP, /unsafe-(inline|eval)/);
    assert.match(CONSOLE_CSP, /connect-src 'self'/);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.match(await res.text(), /app-abc123\.js/);
  }
  const bare = await fetch(base + '/console', { redirect: 'manual' });
  assert.equal(bare.status, 308);
  assert.equal(bare.headers.get('location'), '/console/');
});

it('serves hashed assets as immutable, compressed when asked, and answers 304 to their ETag', async () => {
  const res = await fetch(base + '/console/assets/app-abc123.js', { headers: { 'accept-encoding': 'identity' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.match(res.headers.get('content-type') ?? '', /^text\/javascript/);
  assert.equal(await res.text(), JS);
  const etag = res.headers.get('etag')!;
  const again = await fetch(base + '/console/assets/app-abc123.js', { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
  // fetch would decompress itself: read the raw bytes through node:http's view instead.
  const gz = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
    import('node:http').then(({ get }) =>
      get(base + '/console/assets/app-abc123.js', { headers: { 'accept-encoding': 'gzip' } }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ encoding: r.headers['content-encoding'], body: Buffer.concat(chunks) }));
      }).on('error', reject),
    );
  });
  assert.equal(gz.encoding, 'gzip');
  assert.ok(gz.body.length < JS.length / 10);
  assert.equal(gunzipSync(gz.body).toString(), JS);
});

it('answers a missing file, a path out of the folder and a write with problems', async () => {
  const missing = await fetch(base + '/console/assets/nope-123.js');
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { code: string }).code, 'NIMBUS_ERR_NOT_FOUND');
  const traversal = await fetch(base + '/console/..%2f..%2fetc%2fpasswd.txt');
  assert.equal(traversal.status, 404);
  const post = await fetch(base + '/console/', { method: 'POST', body: 'x' });
  assert.equal(post.status, 405);
  assert.equal(((await post.json()) as { code: string }).code, 'NIMBUS_ERR_METHOD_NOT_ALLOWED');
});

it('says how to build the console when it is not built', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'nimbus-console-empty-'));
  const handler = createConsoleHandler(empty);
  const s = createServer((req, res) => void handler(req, res)).listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/console/`);
  assert.equal(res.status, 404);
  assert.match(((await res.json()) as { detail: string }).detail, /npm run build/);
  s.close();
  rmSync(empty, { recursive: true, force: true });
});
