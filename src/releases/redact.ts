/**
 * Redaction: every place the platform writes a function's output (log lines, a record's
 * error, a workflow's history) replaces the values of the function's secrets with
 * `[redacted]`. Values shorter than MIN_REDACTED are left: replacing every "1" or "on" would
 * make logs unreadable and hide nothing worth hiding.
 */
export const REDACTED = '[redacted]';
export const MIN_REDACTED = 4;

export type Redactor = (text: string) => string;

export const noRedaction: Redactor = (text) => text;

/** A redactor for these secret values; the identity when there are none worth hiding. */
export function redactorFor(values: Iterable<string>): Redactor {
  // Longest first, so a secret that contains another is hidden whole.
  const hidden = [...new Set(values)].filter((v) => v.length >= MIN_REDACTED).sort((a, b) => b.length - a.length);
  if (hidden.length === 0) return noRedaction;
  // JSON-escaped forms too: a value with a quote or newline appears escaped in stored JSON.
  const forms = [...new Set(hidden.flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]))].sort((a, b) => b.length - a.length);
  return (text) => {
    if (typeof text !== 'string' || text.length < MIN_REDACTED) return text;
    let out = text;
    for (const v of forms) if (out.includes(v)) out = out.split(v).join(REDACTED);
    return out;
  };
}

/** A JSON value with every string in it redacted (keys included); other values as they are. */
export function redactValue(value: unknown, redact: Redactor): unknown {
  if (redact === noRedaction) return value;
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, redact));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[redact(k)] = redactValue(v, redact);
    return out;
  }
  return value;
}
