/** Bearer-token check for /api/v1, in constant time. */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { NimbusError } from '../core/errors.ts';

export function bearerGuard(token: string): (headers: IncomingHttpHeaders) => void {
  const expected = Buffer.from(token, 'utf8');
  /**
   * The bytes are compared in constant time; a token of another length is refused after the
   * same comparison, so the time tells at most the token's length, never its bytes (as
   * Python's hmac.compare_digest). No digest a request: it cost more than the rest of the check.
   */
  const matches = (given: string) => {
    const bytes = Buffer.from(given, 'utf8');
    if (bytes.length !== expected.length) return (timingSafeEqual(expected, expected), false);
    return timingSafeEqual(bytes, expected);
  };
  return (headers) => {
    const auth = headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    if (!m || !matches(m[1])) {
      throw new NimbusError(
        'NIMBUS_ERR_UNAUTHORIZED',
        m ? 'the bearer token is wrong; `nimbus token` prints the right one' : 'send Authorization: Bearer <token>; `nimbus token` prints it',
      );
    }
  };
}
