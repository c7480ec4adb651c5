/** Bearer-token check for /api/v1, in constant time. */
import type { IncomingHttpHeaders } from 'node:http';
import { NimbusError } from '../core/errors.ts';
import { sameSecret } from '../core/same-secret.ts';

export function bearerGuard(token: string): (headers: IncomingHttpHeaders) => void {
  const expected = Buffer.from(token, 'utf8');
  return (headers) => {
    const auth = headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    if (!m || !sameSecret(m[1], expected)) {
      throw new NimbusError(
        'NIMBUS_ERR_UNAUTHORIZED',
        m ? 'the bearer token is wrong; `nimbus token` prints the right one' : 'send Authorization: Bearer <token>; `nimbus token` prints it',
      );
    }
  };
}
