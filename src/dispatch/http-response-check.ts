/**
 * What a function's HTTP response must be before it is recorded and sent: header names,
 * values and the status text Node will write (node:http refuses the others, after the
 * invocation was recorded as a success), and a head plus body within the response limit
 * (a header is as much a payload as the body).
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { NimbusError } from '../core/errors.ts';
import type { HttpResponseData } from '../runtime/port.ts';

/** Bytes of the status line and each `name: value\r\n`, as they go on the wire (latin-1: one byte a character). */
export function headBytes(response: HttpResponseData): number {
  let n = 'HTTP/1.1 000 \r\n\r\n'.length + response.statusText.length;
  for (const [k, v] of response.headers) n += k.length + v.length + 4;
  return n;
}

/** Throws NIMBUS_ERR_BAD_RESPONSE naming what is wrong; the caller records it as the invocation's error. */
export function checkHttpResponse(response: HttpResponseData, limitBytes: number): void {
  if (!isHeaderText(response.statusText)) throw bad(`the status text ${quote(response.statusText)} has characters HTTP does not allow`);
  for (const [name, value] of response.headers) {
    try {
      validateHeaderName(name);
    } catch {
      throw bad(`the response header name ${quote(name)} is not a valid HTTP token`);
    }
    try {
      validateHeaderValue(name, value);
    } catch {
      throw bad(`the response header ${quote(name)} has a value with characters HTTP does not allow`);
    }
  }
  const total = headBytes(response) + response.body.byteLength;
  if (total > limitBytes) {
    throw bad(`the function's response is ${total} bytes with its headers; the limit is ${limitBytes}`, { limit: limitBytes });
  }
}

/** Latin-1 without control characters other than tab: what node:http writes as a header value or reason phrase. */
function isHeaderText(text: string): boolean {
  return !/[^\t\x20-\x7e\x80-\xff]/.test(text);
}

function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? text.slice(0, 64) + '…' : text);
}

function bad(detail: string, extra?: Record<string, unknown>): NimbusError {
  return new NimbusError('NIMBUS_ERR_BAD_RESPONSE', detail, extra ? { extra } : {});
}
