/** Bearer-token check for /api/v1, in constant time. */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { NimbusError } from '../core/errors.ts';

export function bearerGuard(token: string): (headers: IncomingHttpHeaders) => void {
  // Comparing digests keeps the comparison constant-time whatever the lengths.
  const expected = createHash('sha256').update(token).digest();
  return (headers) => {
    const auth = headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    const given = createHash('sha256').update(m ? m[1] : '').digest();
    if (!m || !timingSafeEqual(given, expected)) {
      throw new NimbusError(
        'NIMBUS_ERR_UNAUTHORIZED',
        m ? 'the bearer token is wrong; `nimbus token` prints the right one' : 'send Authorization: Bearer <token>; `nimbus token` prints it',
      );
    }
  };
}
