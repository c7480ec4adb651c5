/**
 * ASL timestamps: RFC 3339 with an uppercase "T" and either "Z" or a numeric offset,
 * e.g. 2016-03-14T01:59:00Z or 2016-03-14T01:59:00.123+02:00. Parsed to epoch
 * milliseconds (fractions below a millisecond are kept as a fraction).
 */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Epoch milliseconds, or null when `text` is not a valid ASL timestamp. */
export function parseTimestamp(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const m = RFC3339.exec(text);
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 60) return null;
  let offsetMinutes = 0;
  if (m[8] !== 'Z') {
    const sign = m[8][0] === '-' ? -1 : 1;
    const oh = Number(m[8].slice(1, 3));
    const om = Number(m[8].slice(4, 6));
    if (oh > 23 || om > 59) return null;
    offsetMinutes = sign * (oh * 60 + om);
  }
  const fraction = m[7] === undefined ? 0 : Number(`0.${m[7]}`) * 1000;
  const base = Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59));
  return base + (second === 60 ? 1000 : 0) + fraction - offsetMinutes * 60_000;
}

export function isTimestamp(text: unknown): boolean {
  return parseTimestamp(text) !== null;
}

// The events of one step share one time: the last one written is kept.
let lastMs = Number.NaN;
let lastIso = '';

export function iso(epochMs: number): string {
  if (epochMs !== lastMs) {
    lastIso = new Date(epochMs).toISOString();
    lastMs = epochMs;
  }
  return lastIso;
}
