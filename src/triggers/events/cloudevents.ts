/**
 * CloudEvents 1.0 over HTTP: parse and validate the three content modes of the HTTP
 * protocol binding, and render an event back for delivery.
 *
 *   structured  Content-Type: application/cloudevents+json        body = one JSON event
 *   batch       Content-Type: application/cloudevents-batch+json  body = JSON array of events
 *   binary      any other Content-Type, attributes in ce-* headers, body = the data
 *
 * Every rejection is a NimbusError (400) whose `extra.field` names the attribute at fault
 * (and `extra.index` the event, in a batch); a body that is not JSON, or whose JSON holds a
 * number too large for a double (1e309 parses as Infinity and would be delivered as null),
 * is NIMBUS_ERR_BAD_REQUEST; an unknown event format is NIMBUS_ERR_UNSUPPORTED_MEDIA_TYPE.
 */
import { NimbusError } from '../../core/errors.ts';
import { MAX_JSON_DEPTH, jsonHasInfinity, jsonValueTooDeep, parseJsonBounded } from '../../core/json-depth.ts';
import {
  decodeHeaderValue,
  decodeUtf8,
  encodeHeaderValue,
  isJsonMediaType,
  isTextMediaType,
  essence,
  mediaTypeProblem,
  stringProblem,
  timestampProblem,
  uriProblem,
  uriReferenceProblem,
} from './attributes.ts';

export type ExtensionValue = string | number | boolean;

export interface CloudEvent {
  readonly specversion: '1.0';
  readonly id: string;
  /** URI-reference. */
  readonly source: string;
  readonly type: string;
  readonly datacontenttype?: string;
  /** Absolute URI. */
  readonly dataschema?: string;
  readonly subject?: string;
  /** RFC 3339, as sent. */
  readonly time?: string;
  /** Extension attributes: names of 1-20 lower-case letters or digits. */
  readonly extensions: Readonly<Record<string, ExtensionValue>>;
  /**
   * Absent when the event has no data. A JSON value (structured mode, or a JSON body in
   * binary mode), a string (a text body), or a Uint8Array (data_base64, or any other body).
   */
  readonly data?: unknown;
}

export type ContentMode = 'structured' | 'binary' | 'batch';

export type HeaderInput =
  | { get(name: string): string | null } // WHATWG Headers
  | Readonly<Record<string, string | readonly string[] | undefined>>; // node IncomingHttpHeaders

export type BodyInput = Uint8Array | ArrayBuffer | string;

export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json';
export const BATCH_CONTENT_TYPE = 'application/cloudevents-batch+json';

const CORE = ['specversion', 'id', 'source', 'type', 'datacontenttype', 'dataschema', 'subject', 'time'] as const;
const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

interface Where {
  readonly index?: number;
}

function bad(attribute: string, detail: string, where: Where, code: 'NIMBUS_ERR_VALIDATION' | 'NIMBUS_ERR_BAD_REQUEST' = 'NIMBUS_ERR_VALIDATION'): NimbusError {
  const prefix = where.index === undefined ? '' : `event ${where.index} of the batch: `;
  const extra: Record<string, unknown> = { field: attribute };
  if (where.index !== undefined) extra.index = where.index;
  return new NimbusError(code, `${prefix}CloudEvent attribute "${attribute}" ${detail}`, { extra });
}

/**
 * Validates the attributes of one event given as a flat object (the JSON format, or the
 * decoded ce-* headers). `fromHeaders` events carry every value as a string.
 */
function validateAttributes(input: Record<string, unknown>, where: Where, fromHeaders: boolean): Omit<CloudEvent, 'data'> {
  const attrs = new Map<string, unknown>();
  for (const [key, value] of Object.entries(input)) if (value !== null && value !== undefined) attrs.set(key, value);

  const specversion = attrs.get('specversion');
  if (specversion === undefined) throw bad('specversion', 'is required and must be "1.0"', where);
  if (specversion !== '1.0') throw bad('specversion', `must be "1.0", got ${JSON.stringify(specversion)}`, where);

  const str = (name: string, required: boolean): string | undefined => {
    const value = attrs.get(name);
    if (value === undefined) {
      if (required) throw bad(name, 'is required', where);
      return undefined;
    }
    if (typeof value !== 'string') throw bad(name, `must be a string, got ${typeof value}`, where);
    if (value === '') throw bad(name, 'must not be empty', where);
    const problem = stringProblem(value);
    if (problem) throw bad(name, problem, where);
    return value;
  };
  const check = (name: string, value: string | undefined, test: (v: string) => string | null): void => {
    const problem = value === undefined ? null : test(value);
    if (problem) throw bad(name, `${problem}, got ${JSON.stringify(value)}`, where);
  };

  const id = str('id', true)!;
  const source = str('source', true)!;
  check('source', source, uriReferenceProblem);
  const type = str('type', true)!;
  const datacontenttype = str('datacontenttype', false);
  check('datacontenttype', datacontenttype, mediaTypeProblem);
  const dataschema = str('dataschema', false);
  check('dataschema', dataschema, uriProblem);
  const subject = str('subject', false);
  const time = str('time', false);
  check('time', time, timestampProblem);

  const extensions: Record<string, ExtensionValue> = {};
  for (const [name, value] of attrs) {
    if ((CORE as readonly string[]).includes(name) || (!fromHeaders && (name === 'data' || name === 'data_base64'))) continue;
    if (!EXTENSION_NAME.test(name)) {
      throw bad(name, 'is not a valid attribute name: names are 1-20 lower-case letters (a-z) or digits (0-9)', where);
    }
    if (typeof value === 'string') {
      const problem = stringProblem(value);
      if (problem) throw bad(name, problem, where);
    } else if (typeof value === 'number') {
      if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
        throw bad(name, `must be a string, a boolean or a 32-bit integer, got ${value}`, where);
      }
    } else if (typeof value !== 'boolean') {
      throw bad(name, `must be a string, a boolean or a 32-bit integer, got ${Array.isArray(value) ? 'an array' : typeof value}`, where);
    }
    extensions[name] = value as ExtensionValue;
  }

  const event: Record<string, unknown> = { specversion: '1.0', id, source, type };
  if (datacontenttype !== undefined) event.datacontenttype = datacontenttype;
  if (dataschema !== undefined) event.dataschema = dataschema;
  if (subject !== undefined) event.subject = subject;
  if (time !== undefined) event.time = time;
  event.extensions = extensions;
  return event as unknown as Omit<CloudEvent, 'data'>;
}

/** One event of the JSON format (a parsed object), e.g. a structured body or a stored event. */
export function fromJson(input: unknown, where: Where = {}): CloudEvent {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    const prefix = where.index === undefined ? '' : `event ${where.index} of the batch: `;
    throw new NimbusError('NIMBUS_ERR_BAD_REQUEST', `${prefix}a CloudEvent in JSON must be an object`, {
      extra: where.index === undefined ? {} : { index: where.index },
    });
  }
  const obj = input as Record<string, unknown>;
  const event = validateAttributes(obj, where, false);
  const hasData = obj.data !== undefined && obj.data !== null;
  const base64 = obj.data_base64;
  if (base64 !== undefined && base64 !== null) {
    if (hasData) throw bad('data_base64', 'cannot be sent together with "data"; send one of them', where);
    if (typeof base64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) {
      throw bad('data_base64', 'must be base64 (RFC 4648) text', where);
    }
    return Object.freeze({ ...event, data: new Uint8Array(Buffer.from(base64, 'base64')) });
  }
  return Object.freeze(hasData ? { ...event, data: obj.data } : event);
}

function bodyBytes(body: BodyInput): Uint8Array {
  if (typeof body === 'string') return new TextEncoder().encode(body);
  return body instanceof Uint8Array ? body : new Uint8Array(body);
}

function parseJsonBody(body: BodyInput, what: string): unknown {
  let text: string;
  try {
    text = typeof body === 'string' ? body : decodeUtf8(bodyBytes(body));
  } catch {
    throw new NimbusError('NIMBUS_ERR_BAD_REQUEST', `the ${what} body is not valid UTF-8`);
  }
  const value = parseJsonBounded(text, `the ${what} body`);
  if (jsonHasInfinity(text, value)) throw new NimbusError('NIMBUS_ERR_BAD_REQUEST', `the ${what} body ${TOO_LARGE}`);
  return value;
}

const TOO_LARGE = 'has a number too large for a double (such as 1e309): it would be delivered as null; send it as a string';

/** Structured mode: the body is one event in the JSON format. */
export function parseStructured(body: BodyInput): CloudEvent {
  return fromJson(parseJsonBody(body, 'structured CloudEvent'));
}

/** Batched mode: the body is a JSON array of events (it may be empty). */
export function parseBatch(body: BodyInput): CloudEvent[] {
  const parsed = parseJsonBody(body, 'CloudEvents batch');
  if (!Array.isArray(parsed)) {
    throw new NimbusError('NIMBUS_ERR_BAD_REQUEST', `a ${BATCH_CONTENT_TYPE} body must be a JSON array of events`);
  }
  return parsed.map((item, index) => fromJson(item, { index }));
}

function headerMap(headers: HeaderInput): Map<string, string> {
  const out = new Map<string, string>();
  if (typeof (headers as { get?: unknown }).get === 'function' && typeof (headers as { forEach?: unknown }).forEach === 'function') {
    (headers as unknown as { forEach(fn: (v: string, k: string) => void): void }).forEach((v, k) => out.set(k.toLowerCase(), v));
    return out;
  }
  for (const [k, v] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
    if (v === undefined) continue;
    out.set(k.toLowerCase(), typeof v === 'string' ? v : v.join(', '));
  }
  return out;
}

/**
 * Binary mode: attributes in ce-* headers (percent-decoded), datacontenttype from
 * Content-Type, the body is the data: JSON for a JSON media type, a string for text, bytes
 * otherwise; an empty body means no data.
 */
export function parseBinary(headers: HeaderInput, body: BodyInput): CloudEvent {
  const map = headerMap(headers);
  const attrs: Record<string, unknown> = {};
  let any = false;
  for (const [name, raw] of map) {
    if (!name.startsWith('ce-')) continue;
    any = true;
    const attribute = name.slice(3);
    if (attribute === 'datacontenttype') {
      throw bad('datacontenttype', 'must be sent as the Content-Type header in binary mode, not as ce-datacontenttype', {});
    }
    if (attribute === 'data' || attribute === 'data_base64') throw bad(attribute, 'is not an attribute: the data is the request body', {});
    const value = decodeHeaderValue(raw);
    if (value === null) throw bad(attribute, `header ce-${attribute} is not valid percent-encoded UTF-8`, {});
    attrs[attribute] = value;
  }
  if (!any) {
    throw bad(
      'specversion',
      `is missing: this is not a CloudEvent. Send Content-Type: ${STRUCTURED_CONTENT_TYPE} with the event as JSON, ` +
        'or the ce-specversion, ce-id, ce-source and ce-type headers with the data as the body',
      {},
    );
  }
  const contentType = map.get('content-type');
  if (contentType !== undefined && contentType.trim() !== '') attrs.datacontenttype = contentType.trim();
  const event = validateAttributes(attrs, {}, true);

  const bytes = bodyBytes(body);
  if (bytes.length === 0) return Object.freeze(event);
  const type = event.datacontenttype;
  if (type !== undefined && (isJsonMediaType(type) || isTextMediaType(type))) {
    let text: string;
    try {
      text = typeof body === 'string' ? body : decodeUtf8(bytes);
    } catch {
      throw bad('data', `is not valid UTF-8 although Content-Type is ${type}`, {});
    }
    if (!isJsonMediaType(type)) return Object.freeze({ ...event, data: text });
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw bad('data', `is not valid JSON although Content-Type is ${type}: ${(e as Error).message}`, {});
    }
    if (jsonValueTooDeep(data)) throw bad('data', `nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`, {});
    if (jsonHasInfinity(text, data)) throw bad('data', TOO_LARGE, {}, 'NIMBUS_ERR_BAD_REQUEST');
    return Object.freeze({ ...event, data });
  }
  return Object.freeze({ ...event, data: bytes });
}

/** Which content mode a request uses, from its Content-Type (HTTP binding §3). */
export function contentModeOf(contentType: string | null | undefined): ContentMode {
  const e = contentType == null ? '' : essence(contentType);
  if (e.startsWith('application/cloudevents-batch')) {
    if (e !== BATCH_CONTENT_TYPE) throw unsupported(e);
    return 'batch';
  }
  if (e.startsWith('application/cloudevents')) {
    if (e !== STRUCTURED_CONTENT_TYPE) throw unsupported(e);
    return 'structured';
  }
  return 'binary';
}

function unsupported(mediaType: string): NimbusError {
  return new NimbusError(
    'NIMBUS_ERR_UNSUPPORTED_MEDIA_TYPE',
    `event format ${mediaType} is not supported; use ${STRUCTURED_CONTENT_TYPE}, ${BATCH_CONTENT_TYPE} or binary mode`,
    { extra: { field: 'Content-Type' } },
  );
}

/** Parses an HTTP request carrying CloudEvents in any of the three modes. */
export function parseHttpCloudEvents(headers: HeaderInput, body: BodyInput): { mode: ContentMode; events: CloudEvent[] } {
  const mode = contentModeOf(headerMap(headers).get('content-type'));
  if (mode === 'structured') return { mode, events: [parseStructured(body)] };
  if (mode === 'batch') return { mode, events: parseBatch(body) };
  return { mode, events: [parseBinary(headers, body)] };
}

/**
 * The event in the JSON format: a plain object to hand to a function's handler, store, or
 * send. Binary data becomes data_base64; extensions become top-level members.
 */
export function toJson(event: CloudEvent): Record<string, unknown> {
  const out: Record<string, unknown> = { specversion: event.specversion, id: event.id, source: event.source, type: event.type };
  for (const name of ['datacontenttype', 'dataschema', 'subject', 'time'] as const) {
    if (event[name] !== undefined) out[name] = event[name];
  }
  for (const [name, value] of Object.entries(event.extensions)) out[name] = value;
  if (event.data instanceof Uint8Array) out.data_base64 = Buffer.from(event.data).toString('base64');
  else if (event.data !== undefined) out.data = event.data;
  return out;
}

/** Structured mode for delivery: one JSON body with every attribute in it. */
export function toStructured(event: CloudEvent): { headers: Record<string, string>; body: string } {
  return {
    headers: { 'content-type': `${STRUCTURED_CONTENT_TYPE}; charset=utf-8` },
    body: JSON.stringify(toJson(event)),
  };
}

/**
 * Binary mode for delivery: ce-* headers (percent-encoded) and the data as the body.
 * Content-Type is datacontenttype; when that is absent it is application/json for JSON
 * data, text/plain; charset=utf-8 for a string, and left out for bytes.
 */
export function toBinary(event: CloudEvent): { headers: Record<string, string>; body: string | Uint8Array } {
  const headers: Record<string, string> = {};
  for (const name of ['specversion', 'id', 'source', 'type', 'dataschema', 'subject', 'time'] as const) {
    const value = event[name];
    if (value !== undefined) headers['ce-' + name] = encodeHeaderValue(value);
  }
  for (const [name, value] of Object.entries(event.extensions)) headers['ce-' + name] = encodeHeaderValue(String(value));
  const data = event.data;
  let contentType = event.datacontenttype;
  let body: string | Uint8Array;
  if (data === undefined) {
    body = '';
  } else if (data instanceof Uint8Array) {
    body = data;
  } else if (typeof data === 'string' && (contentType === undefined || !isJsonMediaType(contentType))) {
    contentType ??= 'text/plain; charset=utf-8';
    body = data;
  } else {
    contentType ??= 'application/json';
    body = JSON.stringify(data);
  }
  if (contentType !== undefined) headers['content-type'] = contentType;
  return { headers, body };
}
