/**
 * A bound on how deeply JSON may nest where it enters the platform from outside (API
 * bodies, events, function results, HTTP task responses). JSON.parse reads any depth,
 * but JSON.stringify, structured copies into isolates, schema checks and ASL paths
 * recurse, and a stack overflow there became a 500 instead of a 400. The check scans
 * the text once without recursion, before anything parses it.
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

/**
 * JSON.parse with the depth bound: too deep or not JSON is a NimbusError with `code`
 * (NIMBUS_ERR_BAD_REQUEST for a caller's body, NIMBUS_ERR_BAD_RESPONSE for a function's
 * result) whose detail begins with `what`.
 */
export function parseJsonBounded(text: string, what: string, code: ErrorCode = 'NIMBUS_ERR_BAD_REQUEST'): unknown {
  if (jsonTextTooDeep(text)) {
    throw new NimbusError(code, `${what} nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`, { extra: { maxDepth: MAX_JSON_DEPTH } });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new NimbusError(code, `${what} is not valid JSON: ${(error as Error).message}`);
  }
}
