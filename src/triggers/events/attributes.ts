/**
 * Checks for CloudEvents 1.0 attribute values (URI-reference, URI, RFC 3339 timestamp,
 * RFC 2046 media type, String) and the HTTP header value codec of the HTTP binding
 * (§3.1.3.2: percent-encoding of UTF-8). Each check returns a reason string or null.
 */

/** Control characters a CloudEvents String may not contain: U+0000-001F and U+007F-009F. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const URI_CHARS = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;

export function stringProblem(value: string): string | null {
  if (CONTROL.test(value)) return 'contains a control character';
  return null;
}

/** RFC 3986 URI-reference: an absolute URI or a relative reference such as /orders/42. */
export function uriReferenceProblem(value: string): string | null {
  if (!URI_CHARS.test(value)) {
    return 'is not a URI-reference (spaces, quotes and non-ASCII characters must be percent-encoded, and % must start %XX)';
  }
  if (value.split('#').length > 2) return 'is not a URI-reference (more than one "#")';
  // A ':' before the first '/', '?' or '#' makes the part before it a scheme.
  const head = /^[^/?#]*/.exec(value)![0];
  const colon = head.indexOf(':');
  if (colon >= 0 && !SCHEME.test(head.slice(0, colon))) {
    return `is not a URI-reference (${JSON.stringify(head.slice(0, colon))} is not a valid URI scheme)`;
  }
  return null;
}

/** RFC 3986 absolute URI (scheme required). */
export function uriProblem(value: string): string | null {
  const scheme = /^([^:/?#]+):/.exec(value);
  if (!scheme || !SCHEME.test(scheme[1])) return 'is not an absolute URI (it needs a scheme, such as https:)';
  return uriReferenceProblem(value);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/** RFC 3339 date-time, e.g. 2024-05-01T12:00:00Z or 2024-05-01T14:00:00.123+02:00. */
export function timestampProblem(value: string): string | null {
  const m = RFC3339.exec(value);
  const reason = 'is not an RFC 3339 timestamp such as 2024-05-01T12:00:00Z';
  if (!m) return reason;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 60) {
    return reason + ' (a date or time field is out of range)';
  }
  if (m[7] !== undefined && (Number(m[7]) > 23 || Number(m[8]) > 59)) return reason + ' (the UTC offset is out of range)';
  return null;
}

const TOKEN = "[A-Za-z0-9!#$%&'*+.^_`|~-]+";
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}\\s*(?:;\\s*${TOKEN}=(?:${TOKEN}|"[^"]*")\\s*)*;?\\s*$`);

/** RFC 2046 media type with optional parameters, e.g. application/json; charset=utf-8. */
export function mediaTypeProblem(value: string): string | null {
  return MEDIA_TYPE.test(value) ? null : 'is not a media type such as application/json';
}

/** The media type without parameters, lower case. */
export function essence(mediaType: string): string {
  return mediaType.split(';')[0].trim().toLowerCase();
}

/** application/json, text/json, and any +json structured syntax suffix. */
export function isJsonMediaType(mediaType: string): boolean {
  const e = essence(mediaType);
  return e === 'application/json' || e === 'text/json' || e.endsWith('+json');
}

/** Types whose body is text: text/*, XML, and anything with a charset parameter. */
export function isTextMediaType(mediaType: string): boolean {
  const e = essence(mediaType);
  return e.startsWith('text/') || e === 'application/xml' || e.endsWith('+xml') || /;\s*charset=/i.test(mediaType);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** UTF-8 bytes to a string; throws a TypeError on an invalid sequence. */
export function decodeUtf8(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/**
 * Decodes an HTTP header value of the binary mode: a double-quoted value is unquoted
 * (backslash escapes processed), then one round of percent-decoding; the bytes must be
 * valid UTF-8 (overlong encodings such as %C0%A0 are rejected). Returns null if invalid.
 */
export function decodeHeaderValue(raw: string): string | null {
  let value = raw.trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    value = value.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const ch = value.charCodeAt(i);
    if (ch === 0x25 /* % */) {
      const hex = value.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (ch < 0x80) {
      bytes.push(ch);
    } else {
      // Raw non-ASCII in a header should not happen; take it as the character it is.
      const cp = value.codePointAt(i)!;
      bytes.push(...encoder.encode(String.fromCodePoint(cp)));
      if (cp > 0xffff) i++;
    }
  }
  try {
    return decodeUtf8(Uint8Array.from(bytes));
  } catch {
    return null;
  }
}

/** Encodes an attribute value for a ce-* header: space, ", % and anything outside U+0021-007E as %XX of UTF-8. */
export function encodeHeaderValue(value: string): string {
  let out = '';
  for (const char of value) {
    const cp = char.codePointAt(0)!;
    if (cp >= 0x21 && cp <= 0x7e && cp !== 0x22 && cp !== 0x25) {
      out += char;
    } else {
      for (const byte of encoder.encode(char)) out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
    }
  }
  return out;
}
