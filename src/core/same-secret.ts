/**
 * Whether a token sent by a caller is the secret one, in constant time: the bytes are compared
 * with timingSafeEqual, and one of another length is refused after the same comparison, so the
 * time tells at most the secret's length, never its bytes (as Python's hmac.compare_digest).
 * No digest a call: it cost more than the rest of a request's check.
 */
import { timingSafeEqual } from 'node:crypto';

export function sameSecret(given: string, secret: string | Buffer): boolean {
  const expected = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  const bytes = Buffer.from(given, 'utf8');
  if (bytes.length !== expected.length) return (timingSafeEqual(expected, expected), false);
  return timingSafeEqual(bytes, expected);
}
