/**
 * The isolate's Web platform end to end, through the real server and CLI: JWTs signed and
 * verified by the `jose` package (bundled from npm) with RS256, ES256 and EdDSA, checked
 * against jose in Node both ways; a wasm module imported at deploy and instantiated; a
 * wasm memory bomb that ends in NIMBUS_ERR_MEMORY_LIMIT while the platform serves on.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT } from 'jose';
import { ADD, BOMB } from '../../src/runtime/isolate/fixtures/wasm/modules.ts';
import { cli, ROOT, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

describe('Web platform in functions, end to end', () => {
  let p: RunningPlatform;
  let dir: string;
  before(async () => {
    p = await startPlatform();
    dir = mkdtempSync(join(tmpdir(), 'nimbus-webplatform-'));
  });
  after(async () => {
    await p.stop();
    p.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('jose signs and verifies JWTs with RS256, ES256 and EdDSA inside a function, agreeing with jose in Node', async () => {
    const out = await cli(p, ['deploy', 'jwt', join(ROOT, 'test/e2e/fixtures/jwt')]);
    assert.equal(out.code, 0, out.stderr);
    for (const alg of ['RS256', 'ES256', 'EdDSA']) {
      const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
      const token = await new SignJWT({ sub: 'ada', alg }).setProtectedHeader({ alg }).setIssuer('test').sign(privateKey);
      const res = await fetch(`${p.url}/fn/jwt`, { method: 'POST', body: JSON.stringify({ alg, token, jwk: await exportJWK(publicKey) }) });
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.deepEqual((body.payload as Record<string, unknown>).sub, 'ada');
      assert.equal(body.tamperedRejected, true, alg);
      assert.equal(body.roundTrip, 'nimbus');
      assert.equal(body.keyType, 'private');
      // the function's token verifies in Node with the public key it sent back
      const verified = await jwtVerify(body.token as string, await importJWK(body.jwk as Record<string, string>, alg), { issuer: 'nimbus', algorithms: [alg] });
      assert.equal(verified.payload.alg, alg);
    }
  });

  it('a .wasm file imported at deploy is instantiated; a wasm memory bomb is MEMORY_LIMIT and the platform serves on', async () => {
    writeFileSync(join(dir, 'add.wasm'), ADD);
    writeFileSync(join(dir, 'bomb.wasm'), BOMB);
    writeFileSync(
      join(dir, 'index.ts'),
      [
        '// @ts-ignore',
        "import add from './add.wasm';",
        '// @ts-ignore',
        "import bomb from './bomb.wasm';",
        'export default {',
        '  async fetch(request: Request) {',
        "    if (new URL(request.url).pathname.endsWith('/bomb')) return new Response(String((new WebAssembly.Instance(bomb) as any).exports.bomb()));",
        '    const instance = (await WebAssembly.instantiate(add)) as any;',
        '    return new Response(String(instance.exports.add(40, 2)));',
        '  },',
        '};',
      ].join('\n'),
    );
    const out = await cli(p, ['deploy', 'wasm', dir, '--memory', '32']);
    assert.equal(out.code, 0, out.stderr);
    let res = await fetch(`${p.url}/fn/wasm/add`);
    assert.equal(await res.text(), '42');
    res = await fetch(`${p.url}/fn/wasm/bomb`);
    const problem = (await res.json()) as { code: string };
    assert.equal(problem.code, 'NIMBUS_ERR_MEMORY_LIMIT', JSON.stringify(problem));
    // the platform, and the same function on a new instance, serve on
    res = await fetch(`${p.url}/fn/wasm/add`);
    assert.equal(await res.text(), '42');
    assert.equal((await p.api('/api/v1/functions/wasm')).status, 200);
  });
});
