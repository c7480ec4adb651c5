/**
 * Where the outcome of an asynchronous invocation is sent: another function, an events
 * topic, or a webhook URL (POSTed). Validation only; sending is the consumer's job.
 */
import { NimbusError } from '../../core/errors.ts';

export type Destination =
  | { readonly kind: 'function'; readonly name: string }
  | { readonly kind: 'topic'; readonly name: string }
  | { readonly kind: 'webhook'; readonly url: string };

/**
 * Names of functions and topics: a letter or digit, then letters, digits, `-` or `_`,
 * 64 characters at most. The integrator should keep this equal to the API's name rule.
 */
export const RESOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export const MAX_WEBHOOK_URL_LENGTH = 2048;

function invalid(field: string, detail: string, value: unknown): NimbusError {
  return new NimbusError('NIMBUS_ERR_VALIDATION', `${field}: ${detail}`, { extra: { field, value } });
}

const EXAMPLE = '{"kind":"function","name":"audit"}, {"kind":"topic","name":"orders"} or {"kind":"webhook","url":"https://example.com/hook"}';

export function validateDestination(input: unknown, field = 'destination'): Destination {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid(field, `must be an object: ${EXAMPLE}`, input);
  }
  const obj = input as Record<string, unknown>;
  const kind = obj.kind;
  const allowed = kind === 'webhook' ? ['kind', 'url'] : ['kind', 'name'];
  if (kind !== 'function' && kind !== 'topic' && kind !== 'webhook') {
    throw invalid(field + '.kind', `must be "function", "topic" or "webhook", got ${JSON.stringify(kind)}`, kind);
  }
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw invalid(`${field}.${key}`, `not allowed for a ${kind} destination: ${EXAMPLE}`, obj[key]);
  }
  if (kind === 'webhook') {
    const url = obj.url;
    if (typeof url !== 'string' || url.length === 0) throw invalid(field + '.url', 'is required: an http:// or https:// URL', url);
    if (url.length > MAX_WEBHOOK_URL_LENGTH) {
      throw invalid(field + '.url', `is longer than ${MAX_WEBHOOK_URL_LENGTH} characters`, url.slice(0, 64) + '…');
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw invalid(field + '.url', `is not an absolute URL: ${JSON.stringify(url)}`, url);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw invalid(field + '.url', `must use http or https, got ${JSON.stringify(parsed.protocol.slice(0, -1))}`, url);
    }
    if (parsed.hostname === '') throw invalid(field + '.url', 'has no host', url);
    return Object.freeze({ kind, url });
  }
  const name = obj.name;
  if (typeof name !== 'string' || !RESOURCE_NAME.test(name)) {
    throw invalid(
      field + '.name',
      `must be a ${kind} name (1-64 letters, digits, "-" or "_", starting with a letter or digit), got ${JSON.stringify(name)}`,
      name,
    );
  }
  return Object.freeze({ kind, name });
}
