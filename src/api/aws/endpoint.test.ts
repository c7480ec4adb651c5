import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sdkSigner } from '../../../test/helpers/sigv4.ts';
import { FakeClock } from '../../core/clock.ts';
import { BodyBudget } from '../../gateway/body.ts';
import { createAwsEndpoint } from './endpoint.ts';
import type { AwsKeyStore } from './keys.ts';
import type { AwsContext } from './protocol.ts';

const KEY = { accessKeyId: 'NKIATEST', secretAccessKey: 'secret' };

describe('AWS endpoint', () => {
  const clock = new FakeClock(Date.UTC(2025, 0, 2, 3, 4, 5));
  const logged: unknown[] = [];
  const failure = new TypeError('the store fell over');
  let server: Server;
  let port: number;

  before(async () => {
    const broken = async () => {
      throw failure;
    };
    const ctx = {
      region: 'us-east-1',
      accountId: '000000000000',
      api: {
        clock,
        bodies: { clock, timeoutMs: 5000, budget: new BodyBudget(1 << 20) },
        store: { functions: { get: broken }, workflows: { getMachine: broken } },
        workflows: {},
      },
    } as unknown as AwsContext;
    const keys = { secretOf: async (id: string) => (id === KEY.accessKeyId ? KEY.secretAccessKey : undefined) } as unknown as AwsKeyStore;
    const handle = createAwsEndpoint({ ctx, keys, bodyLimitBytes: 1 << 20, onError: (error) => logged.push(error) });
    server = createServer((req, res) => void handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  async function send(service: string, path: string, headers: Record<string, string> = {}, body = ''): Promise<{ status: number; type: string | null; text: string }> {
    const host = `127.0.0.1:${port}`;
    const signed = await sdkSigner(KEY, 'us-east-1', service).sign(
      { method: body === '' ? 'GET' : 'POST', protocol: 'http:', hostname: '127.0.0.1', port, path, query: {}, headers: { host, ...headers }, body },
      { signingDate: new Date(clock.now()) },
    );
    const res = await fetch(`http://${host}${path}`, { method: signed.method, headers: signed.headers as Record<string, string>, ...(body === '' ? {} : { body }) });
    return { status: res.status, type: res.headers.get('x-amzn-errortype'), text: await res.text() };
  }

  it('logs the error behind a 500, not only the answer that says the log has it', async () => {
    logged.length = 0;
    const lambda = await send('lambda', '/2015-03-31/functions/f');
    assert.equal(lambda.status, 500);
    assert.equal(lambda.type, 'ServiceException');
    assert.doesNotMatch(lambda.text, /fell over/);

    const sfn = await send('states', '/', { 'x-amz-target': 'AWSStepFunctions.DescribeStateMachine', 'content-type': 'application/x-amz-json-1.0' }, JSON.stringify({ stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:m' }));
    assert.equal(sfn.status, 500);
    assert.equal(sfn.type, 'InternalServerError');
    assert.doesNotMatch(sfn.text, /fell over/);

    assert.deepEqual(logged, [failure, failure]);
  });
});
