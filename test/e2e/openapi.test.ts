/** The OpenAPI document against the real server: real answers match the documented schemas. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { eventually, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
  components: { schemas: Record<string, unknown> };
};

describe('OpenAPI document vs the real API', () => {
  let p: RunningPlatform;
  let doc: Doc;
  const ajv = new Ajv2020({ strict: false });
  before(async () => {
    p = await startPlatform();
    const res = await fetch(`${p.url}/api/v1/openapi.json`);
    assert.equal(res.status, 200, 'the document is public');
    doc = (await res.json()) as Doc;
    for (const [name, schema] of Object.entries(doc.components.schemas)) ajv.addSchema(schema as object, `#/components/schemas/${name}`);
  });
  after(async () => {
    await p.stop();
    p.cleanup();
  });

  async function check(method: string, template: string, path: string, init: RequestInit = {}): Promise<unknown> {
    const res = await p.api(path, { method, ...init });
    const op = doc.paths[template]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${template} is not documented`);
    const documented = op.responses[String(res.status)];
    assert.ok(documented, `${method} ${path} answered ${res.status}, which is not documented`);
    if (res.status === 204) return null;
    const type = (res.headers.get('content-type') ?? '').split(';')[0];
    const content = documented.content?.[type];
    assert.ok(content, `${method} ${path} answered ${type}, not documented for ${res.status}`);
    const body = await res.json();
    const validate = ajv.compile(content.schema as object);
    assert.ok(validate(body), `${method} ${path} ${res.status}: ${ajv.errorsText(validate.errors)}`);
    return body;
  }

  it('answers of every operation match their documented schema', async () => {
    const code = `export default { fetch() { console.log('hi'); return new Response('x') } }; export async function handler(e: unknown) { return { got: e } }`;
    const body = JSON.stringify({ source: { files: { 'index.ts': code }, entry: 'index.ts' }, config: { memoryMb: 64 } });
    await check('PUT', '/api/v1/functions/{name}', '/api/v1/functions/doc', { body });
    await check('PUT', '/api/v1/functions/{name}', '/api/v1/functions/doc', { body });
    await check('PUT', '/api/v1/functions/{name}', '/api/v1/functions/bad', { body: JSON.stringify({ source: {} }) });
    await check('GET', '/api/v1/functions', '/api/v1/functions');
    await check('GET', '/api/v1/functions/{name}', '/api/v1/functions/doc');
    await check('GET', '/api/v1/functions/{name}', '/api/v1/functions/missing');
    await check('GET', '/api/v1/functions/{name}/versions', '/api/v1/functions/doc/versions');
    await check('POST', '/api/v1/functions/{name}/invoke', '/api/v1/functions/doc/invoke', { body: '{"a":1}' });
    await check('POST', '/api/v1/functions/{name}/invoke', '/api/v1/functions/missing/invoke', { body: '{}' });
    const res = await fetch(`${p.url}/fn/doc/`);
    const id = res.headers.get('x-nimbus-invocation-id') ?? '';
    await eventually(async () => (await p.api(`/api/v1/invocations/${id}`)).ok);
    await check('GET', '/api/v1/invocations', '/api/v1/invocations?function=doc&limit=5');
    await check('GET', '/api/v1/invocations', '/api/v1/invocations?limit=0');
    await check('GET', '/api/v1/invocations/{id}', `/api/v1/invocations/${id}`);
    await check('GET', '/api/v1/invocations/{id}', '/api/v1/invocations/nope');
    await check('DELETE', '/api/v1/functions/{name}', '/api/v1/functions/doc');
    await check('DELETE', '/api/v1/functions/{name}', '/api/v1/functions/doc');
    const key = (await check('POST', '/api/v1/aws-keys', '/api/v1/aws-keys', { body: '{"description":"doc"}' })) as { accessKeyId: string };
    assert.match(key.accessKeyId, /^NKIA/);
    await check('POST', '/api/v1/aws-keys', '/api/v1/aws-keys', { body: '{"description":1}' });
    await check('GET', '/api/v1/aws-keys', '/api/v1/aws-keys');
    await check('DELETE', '/api/v1/aws-keys/{accessKeyId}', `/api/v1/aws-keys/${key.accessKeyId}`);
    await check('DELETE', '/api/v1/aws-keys/{accessKeyId}', `/api/v1/aws-keys/${key.accessKeyId}`);
  });

  it('a wrong method is a 405 problem listing the allowed ones; an unknown route a 404 problem', async () => {
    const res = await p.api('/api/v1/functions', { method: 'POST', body: '{}' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET');
    const missing = await p.api('/api/v1/nothing');
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { code: string }).code, 'NIMBUS_ERR_NOT_FOUND');
  });
});
