/**
 * Whole-number query parameters of the REST API, read strictly. `Number(raw)` read `0x10`
 * as 16, `1e2` as 100, ` 5` as 5, and `` and `%20` as 0, and let digits past 2^53 round to
 * another number; a query parameter given is digits only, a number a double holds exactly,
 * within the parameter's range, else a 400 NIMBUS_ERR_VALIDATION naming it.
 */
import { NimbusError } from '../core/errors.ts';
import { isId } from '../core/ids.ts';

const DIGITS = /^\d+$/;

/** The number `raw` writes in decimal digits only (no sign, space, fraction, exponent or hex), if a safe integer; else null. */
export function wholeNumber(raw: string): number | null {
  if (!DIGITS.test(raw)) return null;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : null;
}

export interface IntRange {
  /** The value when the parameter is absent. */
  readonly dflt: number;
  readonly min: number;
  readonly max?: number;
  /** What the parameter is, for the error (default: "a whole number"). */
  readonly what?: string;
}

/** A whole-number query parameter: absent gives `dflt`; anything but digits within [min, max] is a 400 naming `field`. */
export function intQuery(raw: string | null, field: string, range: IntRange): number {
  if (raw === null) return range.dflt;
  const n = wholeNumber(raw);
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (n === null || n < range.min || n > max) {
    const bounds = range.max === undefined ? `${range.min} or more` : `from ${range.min} to ${range.max}`;
    throw new NimbusError('NIMBUS_ERR_VALIDATION', `${field} ${JSON.stringify(raw)} must be ${range.what ?? 'a whole number'} (digits only), ${bounds}`, {
      extra: { field },
    });
  }
  return n;
}

/**
 * A list's paging cursor (`before`): the `next` of the previous page, which is an id (core/ids.ts).
 * Anything else is a 400 naming the parameter: compared as a string it sorted after every id
 * (so `before=garbage` gave the whole list from the top) or before them all (an empty page).
 */
export function cursorQuery(raw: string | null, field = 'before'): string | undefined {
  if (raw === null) return undefined;
  if (!isId(raw)) {
    throw new NimbusError(
      'NIMBUS_ERR_VALIDATION',
      `${field} ${JSON.stringify(raw)} is not a cursor: pass the \`next\` of the previous page (an id of 26 characters 0-9 and a-z without i, l, o, u)`,
      { extra: { field } },
    );
  }
  return raw;
}

/** `limit` of a list: 1 to 1000, `fallback` when absent. */
export function limitOf(raw: string | null, fallback = 50): number {
  return intQuery(raw, 'limit', { dflt: fallback, min: 1, max: 1000 });
}
