import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sdkSigner } from '../../../test/helpers/sigv4.ts';
import { AwsError } from './errors.ts';
import { amzDateToMs, canonicalRequest, parseClaim, sha256Hex, signatureFor, verifySignature, type WireRequest } from './sigv4.ts';

// The AWS Signature Version 4 test suite's published example key and a few of its cases
// (aws-sig-v4-test-suite: request, canonical request, Authorization).
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const CRED = 'AKIDEXAMPLE/20150830/us-east-1/service/aws4_request';
const DATE = '20150830T123600Z';
const SUITE_NOW = amzDateToMs(DATE);
const H = (extra: Array<[string, string]> = []): Array<[string, string]> => [['Host', 'example.amazonaws.com'], ...extra, ['X-Amz-Date', DATE]];
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const VECTORS: Array<{ name: string; req: WireRequest; signed: string; signature: string; creq?: string }> = [
  {
    name: 'get-vanilla',
    req: { method: 'GET', path: '/', query: '', headers: H(), body: Buffer.alloc(0) },
    signed: 'host;x-amz-date',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    creq: `GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:${DATE}\n\nhost;x-amz-date\n${EMPTY}`,
  },
  {
    name: 'get-vanilla-query-order-key-case',
    req: { method: 'GET', path: '/', query: 'Param2=value2&Param1=value1', headers: H(), body: Buffer.alloc(0) },
    signed: 'host;x-amz-date',
    signature: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
  },
  {
    name: 'get-vanilla-query-order-key',
    req: { method: 'GET', path: '/', query: 'Param1=value2&Param1=Value1', headers: H(), body: Buffer.alloc(0) },
    signed: 'host;x-amz-date',
    signature: 'eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1',
  },
  {
    name: 'get-header-key-duplicate',
    req: { method: 'GET', path: '/', query: '', headers: H([['My-Header1', 'value2'], ['My-Header1', 'value2'], ['My-Header1', 'value1']]), body: Buffer.alloc(0) },
    signed: 'host;my-header1;x-amz-date',
    signature: 'c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea',
  },
  {
    name: 'get-header-value-trim',
    req: { method: 'GET', path: '/', query: '', headers: H([['My-Header1', ' value1'], ['My-Header2', ' "a   b   c"']]), body: Buffer.alloc(0) },
    signed: 'host;my-header1;my-header2;x-amz-date',
    signature: 'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736',
  },
  {
    name: 'get-unreserved',
    req: { method: 'GET', path: '/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', query: '', headers: H(), body: Buffer.alloc(0) },
    signed: 'host;x-amz-date',
    signature: '07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f',
  },
  {
    name: 'post-vanilla',
    req: { method: 'POST', path: '/', query: '', headers: H(), body: Buffer.alloc(0) },
    signed: 'host;x-amz-date',
    signature: '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
  },
  {
    name: 'post-x-www-form-urlencoded',
    req: {
      method: 'POST',
      path: '/',
      query: '',
      headers: [['Content-Type', 'application/x-www-form-urlencoded'], ['Host', 'example.amazonaws.com'], ['X-Amz-Date', DATE]],
      body: Buffer.from('Param1=value1'),
    },
    signed: 'content-type;host;x-amz-date',
    signature: 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
  },
];

const withAuth = (req: WireRequest, signed: string, signature: string): WireRequest => ({
  ...req,
  headers: [...req.headers, ['Authorization', `AWS4-HMAC-SHA256 Credential=${CRED}, SignedHeaders=${signed}, Signature=${signature}`]],
});
const SCOPE = { region: 'us-east-1', service: 'service' };

function expectAws(fn: () => void, type: string, status = 403): void {
  assert.throws(fn, (e: unknown) => e instanceof AwsError && e.type === type && e.status === status);
}

describe('SigV4 verification against the AWS test suite', () => {
  for (const v of VECTORS) {
    it(v.name, () => {
      const req = withAuth(v.req, v.signed, v.signature);
      const claim = parseClaim(req)!;
      if (v.creq) assert.equal(canonicalRequest(req, claim.signedHeaders, sha256Hex(req.body), false), v.creq);
      assert.equal(signatureFor(req, claim, SECRET), v.signature);
      verifySignature(req, claim, SECRET, SUITE_NOW, SCOPE);
    });
  }

  it('refuses a signature with one character changed, a changed body, another secret', () => {
    const v = VECTORS[7];
    const tampered = v.signature.slice(0, -1) + (v.signature.endsWith('a') ? 'b' : 'a');
    const t = withAuth(v.req, v.signed, tampered);
    expectAws(() => verifySignature(t, parseClaim(t)!, SECRET, SUITE_NOW, SCOPE), 'InvalidSignatureException');
    const body = withAuth({ ...v.req, body: Buffer.from('Param1=value2') }, v.signed, v.signature);
    expectAws(() => verifySignature(body, parseClaim(body)!, SECRET, SUITE_NOW, SCOPE), 'InvalidSignatureException');
    const ok = withAuth(v.req, v.signed, v.signature);
    expectAws(() => verifySignature(ok, parseClaim(ok)!, SECRET.replace('w', 'W'), SUITE_NOW, SCOPE), 'InvalidSignatureException');
  });

  it('refuses a date more than 5 minutes off either way, another region or service', () => {
    const v = VECTORS[0];
    const req = withAuth(v.req, v.signed, v.signature);
    const claim = parseClaim(req)!;
    verifySignature(req, claim, SECRET, SUITE_NOW + 4 * 60_000, SCOPE);
    expectAws(() => verifySignature(req, claim, SECRET, SUITE_NOW + 6 * 60_000, SCOPE), 'InvalidSignatureException');
    expectAws(() => verifySignature(req, claim, SECRET, SUITE_NOW - 6 * 60_000, SCOPE), 'InvalidSignatureException');
    expectAws(() => verifySignature(req, claim, SECRET, SUITE_NOW, { ...SCOPE, region: 'eu-west-1' }), 'InvalidSignatureException');
    expectAws(() => verifySignature(req, claim, SECRET, SUITE_NOW, { ...SCOPE, service: 'lambda' }), 'InvalidSignatureException');
  });
});

/** Signs with the SDK's own signer (what @aws-sdk clients send) and verifies that. */
interface SignOptions {
  readonly path?: string;
  readonly query?: Record<string, string>;
  readonly service?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Headers the presigner keeps as signed headers rather than moving into the query. */
  readonly unhoistable?: readonly string[];
}

async function sdkSigned(presign: boolean, o: SignOptions = {}) {
  const { path = '/2015-03-31/functions/my%3Afn/invocations', query = { Qualifier: '$LATEST' }, service = 'lambda', body = '{"a":"b c"}' } = o;
  const signer = sdkSigner({ accessKeyId: 'NIMBKEY', secretAccessKey: 'shh/secret+key' }, 'us-east-1', service);
  const headers = o.headers ?? { 'content-type': 'application/json' };
  const request = { method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: 8080, path, query, headers: { host: '127.0.0.1:8080', ...headers }, body };
  const signingDate = new Date('2026-01-02T03:04:05Z');
  const signed = (
    presign
      ? await signer.presign(request as never, { signingDate, expiresIn: 60, unhoistableHeaders: new Set(o.unhoistable ?? []) })
      : await signer.sign(request as never, { signingDate })
  ) as {
    path: string;
    query?: Record<string, string>;
    headers: Record<string, string>;
  };
  const q = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  const wire: WireRequest = { method: 'POST', path: signed.path, query: q, headers: Object.entries(signed.headers as Record<string, string>), body: Buffer.from(body) };
  return { wire, now: signingDate.getTime() };
}

describe('SigV4 verification of what the AWS SDK signs', () => {
  const LAMBDA = { region: 'us-east-1', service: 'lambda' };
  it('the Authorization header form, path with an escaped colon', async () => {
    const { wire, now } = await sdkSigned(false);
    verifySignature(wire, parseClaim(wire)!, 'shh/secret+key', now, LAMBDA);
    expectAws(() => verifySignature(wire, parseClaim(wire)!, 'other', now, LAMBDA), 'InvalidSignatureException');
  });

  it('the presigned query form, until it expires', async () => {
    const { wire, now } = await sdkSigned(true);
    const claim = parseClaim(wire)!;
    assert.equal(claim.presigned, true);
    verifySignature(wire, claim, 'shh/secret+key', now + 59_000, LAMBDA);
    expectAws(() => verifySignature(wire, claim, 'shh/secret+key', now + 61_000, LAMBDA), 'InvalidSignatureException');
    const changed = { ...wire, query: wire.query.replace('%24LATEST', '1') };
    expectAws(() => verifySignature(changed, parseClaim(changed)!, 'shh/secret+key', now, LAMBDA), 'InvalidSignatureException');
  });

  it('no signature at all is no claim; a malformed header is IncompleteSignatureException', () => {
    assert.equal(parseClaim({ method: 'GET', path: '/', query: '', headers: [], body: Buffer.alloc(0) }), null);
    expectAws(() => parseClaim({ method: 'GET', path: '/', query: '', headers: [['Authorization', 'AWS4-HMAC-SHA256 Credential=x']], body: Buffer.alloc(0) }), 'IncompleteSignatureException');
  });

  const SFN = { region: 'us-east-1', service: 'states' };
  const describeCall = { service: 'states', path: '/', query: {}, body: '{"stateMachineArn":"arn:aws:states:us-east-1:000000000000:stateMachine:orders"}' };

  it('a presigned URL that signed only the host cannot be sent with an X-Amz-Target (another operation on the same body)', async () => {
    const { wire, now } = await sdkSigned(true, { ...describeCall, headers: {} });
    assert.deepEqual(parseClaim(wire)!.signedHeaders, ['host']);
    verifySignature(wire, parseClaim(wire)!, 'shh/secret+key', now, SFN);
    const replayed = { ...wire, headers: [...wire.headers, ['X-Amz-Target', 'AWSStepFunctions.DeleteStateMachine']] as Array<[string, string]> };
    expectAws(() => verifySignature(replayed, parseClaim(replayed)!, 'shh/secret+key', now, SFN), 'InvalidSignatureException');
  });

  it('a presigned URL that signed its X-Amz-Target is good for that target only', async () => {
    const { wire, now } = await sdkSigned(true, { ...describeCall, headers: { 'x-amz-target': 'AWSStepFunctions.DescribeStateMachine' }, unhoistable: ['x-amz-target'] });
    assert.ok(parseClaim(wire)!.signedHeaders.includes('x-amz-target'));
    verifySignature(wire, parseClaim(wire)!, 'shh/secret+key', now, SFN);
    const swapped = { ...wire, headers: wire.headers.map(([k, v]) => [k, k === 'x-amz-target' ? 'AWSStepFunctions.DeleteStateMachine' : v]) as Array<[string, string]> };
    expectAws(() => verifySignature(swapped, parseClaim(swapped)!, 'shh/secret+key', now, SFN), 'InvalidSignatureException');
  });

  it('every x-amz-* header the request carries, and Content-Type in the header form, must be signed', async () => {
    const presigned = await sdkSigned(true, { headers: {} });
    const event = { ...presigned.wire, headers: [...presigned.wire.headers, ['X-Amz-Log-Type', 'Tail']] as Array<[string, string]> };
    expectAws(() => verifySignature(event, parseClaim(event)!, 'shh/secret+key', presigned.now, LAMBDA), 'InvalidSignatureException');
    const signed = await sdkSigned(false, { headers: {} });
    verifySignature(signed.wire, parseClaim(signed.wire)!, 'shh/secret+key', signed.now, LAMBDA);
    const typed = { ...signed.wire, headers: [...signed.wire.headers, ['Content-Type', 'text/plain']] as Array<[string, string]> };
    expectAws(() => verifySignature(typed, parseClaim(typed)!, 'shh/secret+key', signed.now, LAMBDA), 'InvalidSignatureException');
  });

  it('refuses UNSIGNED-PAYLOAD (S3 only): the body is always under the signature', async () => {
    for (const presign of [false, true]) {
      const { wire, now } = await sdkSigned(presign, { headers: { 'content-type': 'application/json', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }, unhoistable: ['x-amz-content-sha256'] });
      const other = { ...wire, body: Buffer.from('{"a":"other"}') };
      expectAws(() => verifySignature(other, parseClaim(other)!, 'shh/secret+key', now, LAMBDA), 'InvalidSignatureException');
    }
  });
});
