/**
 * Subscription filters: which events of a topic a subscription delivers. A filter may
 * constrain `type`, `source` and `subject`, each by exact value or by prefix; every
 * constraint given must match (AND); an empty filter matches every event. Matching is
 * case-sensitive, as CloudEvents attribute values are. An event without a subject never
 * matches a subject constraint.
 *
 * Accepted input (the API body), normalized to the long form:
 *   { "type": "com.example.order.created" }                 exact (short form)
 *   { "type": { "exact": "com.example.order.created" } }    exact
 *   { "source": { "prefix": "https://shop.example.com/" } } prefix
 */
import { NimbusError } from '../../core/errors.ts';

export const FILTER_ATTRIBUTES = ['type', 'source', 'subject'] as const;
export type FilterAttribute = (typeof FILTER_ATTRIBUTES)[number];

export type StringMatch = { readonly exact: string } | { readonly prefix: string };

export type EventFilter = { readonly [A in FilterAttribute]?: StringMatch };

export const MAX_FILTER_VALUE_LENGTH = 1024;

/** The attributes a filter reads; a CloudEvent fits. */
export interface FilterableEvent {
  readonly type: string;
  readonly source: string;
  readonly subject?: string;
}

function invalid(field: string, detail: string, value: unknown): NimbusError {
  return new NimbusError('NIMBUS_ERR_VALIDATION', `${field}: ${detail}`, { extra: { field, value } });
}

function validValue(value: unknown, field: string, how: 'exact' | 'prefix'): string {
  if (typeof value !== 'string') throw invalid(field, `must be a string, got ${value === null ? 'null' : typeof value}`, value);
  if (value === '') {
    throw invalid(field, how === 'prefix' ? 'an empty prefix matches everything; leave the attribute out instead' : 'must not be empty', value);
  }
  if (value.length > MAX_FILTER_VALUE_LENGTH) throw invalid(field, `is longer than ${MAX_FILTER_VALUE_LENGTH} characters`, value);
  return value;
}

/** Validates and normalizes a filter; null/undefined is the empty filter (match all). */
export function validateFilter(input: unknown, field = 'filter'): EventFilter {
  if (input === undefined || input === null) return Object.freeze({});
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw invalid(field, 'must be an object such as {"type": "com.example.created", "source": {"prefix": "/shop/"}}', input);
  }
  const out: Partial<Record<FilterAttribute, StringMatch>> = {};
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    const at = `${field}.${key}`;
    if (!(FILTER_ATTRIBUTES as readonly string[]).includes(key)) {
      throw invalid(at, `cannot filter on "${key}"; filters support ${FILTER_ATTRIBUTES.join(', ')}`, value);
    }
    const attribute = key as FilterAttribute;
    if (typeof value === 'string') {
      out[attribute] = Object.freeze({ exact: validValue(value, at, 'exact') });
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw invalid(at, 'must be a string (exact match), {"exact": "…"} or {"prefix": "…"}', value);
    }
    const keys = Object.keys(value);
    if (keys.length !== 1 || (keys[0] !== 'exact' && keys[0] !== 'prefix')) {
      throw invalid(at, 'must have exactly one of "exact" or "prefix"', value);
    }
    const how = keys[0] as 'exact' | 'prefix';
    const text = validValue((value as Record<string, unknown>)[how], `${at}.${how}`, how);
    out[attribute] = Object.freeze(how === 'exact' ? { exact: text } : { prefix: text });
  }
  return Object.freeze(out);
}

function matchOne(match: StringMatch, value: string | undefined): boolean {
  if (value === undefined) return false;
  return 'exact' in match ? value === match.exact : value.startsWith(match.prefix);
}

/** True when every constraint of the filter matches the event. */
export function matchesFilter(filter: EventFilter, event: FilterableEvent): boolean {
  for (const attribute of FILTER_ATTRIBUTES) {
    const match = filter[attribute];
    if (match !== undefined && !matchOne(match, event[attribute])) return false;
  }
  return true;
}
