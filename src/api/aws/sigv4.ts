/**
 * AWS Signature Version 4, verified: the Authorization-header form and the presigned-query
 * form. Pure: the request's wire parts, the secret of the key it names and `now` in, a
 * verdict out. The canonical request is built from the request as it arrived (path in its
 * wire encoding, each segment escaped once more, as every non-S3 SDK signs it).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { AwsError } from './errors.ts';

export interface WireRequest {
  readonly method: string;
  /** Path as sent, without the query (still percent-encoded). */
  readonly path: string;
  /** Query as sent, without the `?`. */
  readonly query: string;
  /** Header names and values as sent, in order (node's rawHeaders pairs). */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
}

export interface Credential {
  readonly accessKeyId: string;
  /** yyyymmdd */
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

export interface SigV4Claim {
  readonly credential: Credential;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  /** yyyymmddThhmmssZ */
  readonly amzDate: string;
  readonly presigned: boolean;
  /** Presigned only: seconds the signature is good for after amzDate. */
  readonly expiresSeconds: number | null;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** How far a request's date may be from the platform's clock (AWS allows 5 minutes). */
export const MAX_SKEW_MS = 5 * 60_000;
const MAX_PRESIGN_SECONDS = 7 * 86_400;

const invalidSignature = (why: string) => new AwsError(403, 'InvalidSignatureException', why);
const incomplete = (why: string) => new AwsError(403, 'IncompleteSignatureException', why);
export const missingAuth = () => new AwsError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token: sign the request with SigV4 and a key from `nimbus aws-keys create`');

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters escaped. */
export function uriEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function headerValue(headers: WireRequest['headers'], name: string): string | undefined {
  const values = headers.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);
  return values.length === 0 ? undefined : values.join(',');
}

/** Reads the claim from the Authorization header or the X-Amz-* query; null when neither is there. */
export function parseClaim(req: WireRequest): SigV4Claim | null {
  const auth = headerValue(req.headers, 'authorization');
  const query = new URLSearchParams(req.query);
  if (auth !== undefined) {
    if (!auth.startsWith(ALGORITHM + ' ')) throw incomplete(`Authorization header must use ${ALGORITHM}`);
    const parts = new Map<string, string>();
    for (const p of auth.slice(ALGORITHM.length + 1).split(',')) {
      const eq = p.indexOf('=');
      if (eq > 0) parts.set(p.slice(0, eq).trim(), p.slice(eq + 1).trim());
    }
    const cred = parts.get('Credential');
    const signed = parts.get('SignedHeaders');
    const signature = parts.get('Signature');
    if (!cred || !signed || !signature) throw incomplete("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters");
    const amzDate = headerValue(req.headers, 'x-amz-date') ?? dateHeaderToAmz(headerValue(req.headers, 'date'));
    if (!amzDate) throw incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header");
    return { credential: parseCredential(cred), signedHeaders: signed.split(';'), signature, amzDate, presigned: false, expiresSeconds: null };
  }
  if (query.has('X-Amz-Signature') || query.has('X-Amz-Algorithm')) {
    if (query.get('X-Amz-Algorithm') !== ALGORITHM) throw incomplete(`X-Amz-Algorithm must be ${ALGORITHM}`);
    const cred = query.get('X-Amz-Credential');
    const signed = query.get('X-Amz-SignedHeaders');
    const signature = query.get('X-Amz-Signature');
    const amzDate = query.get('X-Amz-Date');
    const expires = Number(query.get('X-Amz-Expires'));
    if (!cred || !signed || !signature || !amzDate) throw incomplete('a presigned request needs X-Amz-Credential, X-Amz-Date, X-Amz-SignedHeaders and X-Amz-Signature');
    if (!Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGN_SECONDS) {
      throw new AwsError(403, 'AuthorizationQueryParametersError', `X-Amz-Expires must be a whole number of seconds from 1 to ${MAX_PRESIGN_SECONDS}`);
    }
    return { credential: parseCredential(cred), signedHeaders: signed.split(';'), signature, amzDate, presigned: true, expiresSeconds: expires };
  }
  return null;
}

function parseCredential(text: string): Credential {
  const parts = text.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || !/^\d{8}$/.test(parts[1])) {
    throw incomplete(`Credential should be <access key>/<yyyymmdd>/<region>/<service>/aws4_request, not ${text}`);
  }
  return { accessKeyId: parts[0], date: parts[1], region: parts[2], service: parts[3] };
}

function dateHeaderToAmz(date: string | undefined): string | undefined {
  if (date === undefined) return undefined;
  const t = Date.parse(date);
  return Number.isNaN(t) ? undefined : toAmzDate(t);
}

export function toAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export function amzDateToMs(amzDate: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!m) return Number.NaN;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

/** Path segments escaped once more (they arrive encoded), after removing `.` and `..` segments. */
export function canonicalUri(path: string): string {
  const out: string[] = [];
  for (const seg of path.split('/').slice(1)) {
    if (seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  let normal = '/' + out.join('/');
  normal = normal.replace(/\/{2,}/g, '/');
  return normal.split('/').map(uriEscape).join('/');
}

export function canonicalQuery(query: string, dropSignature: boolean): string {
  if (query === '') return '';
  const pairs: Array<[string, string]> = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decodeComponent(eq === -1 ? part : part.slice(0, eq));
    const value = eq === -1 ? '' : decodeComponent(part.slice(eq + 1));
    if (dropSignature && key === 'X-Amz-Signature') continue;
    pairs.push([uriEscape(key), uriEscape(value)]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function decodeComponent(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, '%20'));
  } catch {
    return s;
  }
}

export function canonicalRequest(req: WireRequest, signedHeaders: readonly string[], payloadHash: string, presigned: boolean): string {
  const lines = signedHeaders.map((name) => {
    const v = headerValue(req.headers, name);
    if (v === undefined) throw invalidSignature(`the signed header ${name} is not in the request`);
    return `${name}:${v.trim().replace(/\s+/g, ' ')}\n`;
  });
  return [req.method, canonicalUri(req.path), canonicalQuery(req.query, presigned), lines.join(''), signedHeaders.join(';'), payloadHash].join('\n');
}

export function scopeOf(c: Credential): string {
  return `${c.date}/${c.region}/${c.service}/aws4_request`;
}

export function stringToSign(amzDate: string, scope: string, creq: string): string {
  return [ALGORITHM, amzDate, scope, sha256Hex(creq)].join('\n');
}

/** Derived keys by secret and scope: the same for every request of a key on one day (4 HMACs saved each). */
const derived = new Map<string, Buffer>();
const MAX_DERIVED = 256;

export function signingKey(secret: string, c: Credential): Buffer {
  const id = `${secret}\n${scopeOf(c)}`;
  let key = derived.get(id);
  if (key === undefined) {
    key = hmac(hmac(hmac(hmac('AWS4' + secret, c.date), c.region), c.service), 'aws4_request');
    if (derived.size >= MAX_DERIVED) derived.clear();
    derived.set(id, key);
  }
  return key;
}

export function signatureFor(req: WireRequest, claim: SigV4Claim, secret: string): string {
  const payloadHash = payloadHashOf(req);
  const creq = canonicalRequest(req, claim.signedHeaders, payloadHash, claim.presigned);
  return createHmac('sha256', signingKey(secret, claim.credential)).update(stringToSign(claim.amzDate, scopeOf(claim.credential), creq)).digest('hex');
}

function payloadHashOf(req: WireRequest): string {
  // Both forms always sign the body's hash (the SDK's presigner hashes the body too).
  // UNSIGNED-PAYLOAD is S3's alone: Lambda and Step Functions act on the body, so it is always covered.
  const declared = headerValue(req.headers, 'x-amz-content-sha256');
  const actual = sha256Hex(req.body);
  if (declared === 'UNSIGNED-PAYLOAD') throw invalidSignature('UNSIGNED-PAYLOAD is not accepted by this service: sign the SHA-256 of the request body');
  if (declared !== undefined && declared !== actual) {
    throw new AwsError(400, 'XAmzContentSHA256Mismatch', 'The provided x-amz-content-sha256 header does not match what was computed.');
  }
  return actual;
}

/**
 * Headers the request carries that must be signed: every x-amz-* header (X-Amz-Target picks
 * the Step Functions operation; Lambda reads X-Amz-Invocation-Type, X-Amz-Log-Type…), so a
 * signature over the host alone, such as a presigned URL, cannot be replayed with another
 * operation; and, in the Authorization-header form, Content-Type (the SDKs and the CLI sign
 * every header there; their presigners may leave Content-Type to the HTTP client).
 */
function unsignedHeader(req: WireRequest, claim: SigV4Claim): string | undefined {
  const signed = new Set(claim.signedHeaders);
  for (const [raw] of req.headers) {
    const name = raw.toLowerCase();
    if (signed.has(name)) continue;
    if (name.startsWith('x-amz-') || (name === 'content-type' && !claim.presigned)) return raw;
  }
  return undefined;
}

/**
 * Checks the claim against the secret, the time and the expected scope; throws AwsError
 * (InvalidSignatureException, 403) saying what is wrong, as AWS does.
 */
export function verifySignature(req: WireRequest, claim: SigV4Claim, secret: string, now: number, expect: { region: string; service: string }): void {
  const c = claim.credential;
  if (!claim.signedHeaders.includes('host')) throw invalidSignature("'Host' must be a signed header");
  const unsigned = unsignedHeader(req, claim);
  if (unsigned !== undefined) throw invalidSignature(`'${unsigned}' must be a signed header when the request carries it`);
  if (c.region !== expect.region) throw invalidSignature(`Credential should be scoped to a valid region: this platform's region is '${expect.region}', not '${c.region}'`);
  if (c.service !== expect.service) throw invalidSignature(`Credential should be scoped to correct service: '${expect.service}'`);
  const signedAt = amzDateToMs(claim.amzDate);
  if (Number.isNaN(signedAt)) throw incomplete(`X-Amz-Date ${claim.amzDate} is not yyyymmddThhmmssZ`);
  if (!claim.amzDate.startsWith(c.date)) throw invalidSignature(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${c.date}' != '${claim.amzDate.slice(0, 8)}'`);
  if (claim.presigned) {
    if (now > signedAt + (claim.expiresSeconds ?? 0) * 1000) throw invalidSignature(`Signature expired: ${claim.amzDate} + ${claim.expiresSeconds} s is earlier than ${toAmzDate(now)}`);
    if (signedAt - now > MAX_SKEW_MS) throw invalidSignature(`Signature not yet current: ${claim.amzDate} is still later than ${toAmzDate(now + MAX_SKEW_MS)}`);
  } else if (now - signedAt > MAX_SKEW_MS) {
    throw invalidSignature(`Signature expired: ${claim.amzDate} is now earlier than ${toAmzDate(now - MAX_SKEW_MS)} (${toAmzDate(now)} - 5 min.)`);
  } else if (signedAt - now > MAX_SKEW_MS) {
    throw invalidSignature(`Signature not yet current: ${claim.amzDate} is still later than ${toAmzDate(now + MAX_SKEW_MS)} (${toAmzDate(now)} + 5 min.)`);
  }
  const expected = Buffer.from(signatureFor(req, claim, secret), 'utf8');
  const given = Buffer.from(claim.signature, 'utf8');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw invalidSignature(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
}
