/**
 * A bound on how deeply JSON may nest where it enters the platform from outside (API
 * bodies, events, function results, HTTP task responses). JSON.parse reads any depth,
 * but JSON.stringify, structured copies into isolates, schema checks and ASL paths
 * recurse, and a stack overflow there became a 500 instead of a 400. Both checks walk
 * without recursion: the parsed value (cost by nodes, so a large body of long strings,
 * such as a deploy's code, costs next to nothing), or the text where it is not parsed.
 */
import { NimbusError, type ErrorCode } from './errors.ts';

/** Deepest nesting of arrays and objects accepted; far beyond real documents, far below any stack's reach. */
export const MAX_JSON_DEPTH = 512;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** True when the JSON text nests arrays/objects deeper than `max`; strings are skipped. Invalid JSON is left to JSON.parse. */
export function jsonTextTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  // Valid JSON needs an opening and a closing bracket a level.
  if (text.length <= 2 * max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}

/** True when a parsed JSON value nests arrays/objects deeper than `max`; walks it with an explicit stack. */
export function jsonValueTooDeep(value: unknown, max = MAX_JSON_DEPTH): boolean {
  if (value === null || typeof value !== 'object') return false;
  const values: object[] = [value];
  const depths: number[] = [1];
  while (values.length > 0) {
    const v = values.pop() as object;
    const d = depths.pop() as number;
    if (d > max) return true;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const c: unknown = v[i];
        if (c !== null && typeof c === 'object') {
          values.push(c);
          depths.push(d + 1);
        }
      }
    } else {
      for (const c of Object.values(v)) {
        if (c !== null && typeof c === 'object') {
          values.push(c as object);
          depths.push(d + 1);
        }
      }
    }
  }
  return false;
}

/** A number token JSON.parse may read as ±Infinity: an exponent of 3+ digits, or 309+ digits in a row. */
const MAYBE_HUGE_NUMBER = /\d[eE]\+?\d{3}|\d{309}/;

/**
 * True when a parsed JSON value holds a number too large for a double: JSON.parse reads
 * 1e309 as Infinity, which JSON.stringify writes as null, so such a value would change on
 * its way (stored, queued, sent on). Only text that may hold one is walked (with an explicit stack).
 */
export function jsonHasInfinity(text: string, value: unknown): boolean {
  if (!MAYBE_HUGE_NUMBER.test(text)) return false;
  const values: unknown[] = [value];
  while (values.length > 0) {
    const v = values.pop();
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return true;
    } else if (v !== null && typeof v === 'object') {
      for (const c of Array.isArray(v) ? v : Object.values(v)) if (c !== null && typeof c !== 'string' && typeof c !== 'boolean') values.push(c);
    }
  }
  return false;
}

/**
 * JSON.parse with the depth bound: too deep or not JSON is a NimbusError with `code`
 * (NIMBUS_ERR_BAD_REQUEST for a caller's body, NIMBUS_ERR_BAD_RESPONSE for a function's
 * result) whose detail begins with `what`.
 */
export function parseJsonBounded(text: string, what: string, code: ErrorCode = 'NIMBUS_ERR_BAD_REQUEST'): unknown {
  let value: unknown;
  try {
    // V8's JSON.parse does not recurse: any depth parses, and is checked after.
    value = JSON.parse(text);
  } catch (error) {
    throw new NimbusError(code, `${what} is not valid JSON: ${(error as Error).message}`);
  }
  if (jsonValueTooDeep(value)) {
    throw new NimbusError(code, `${what} nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`, { extra: { maxDepth: MAX_JSON_DEPTH } });
  }
  return value;
}
