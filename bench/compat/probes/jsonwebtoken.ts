import jwt from 'jsonwebtoken';
import { FIXED_SEC, RSA_PRIVATE_PEM, RSA_PUBLIC_PEM } from './fixtures.ts';

export default function probe() {
  const hs = jwt.sign({ sub: 'user-1', role: 'admin', iat: FIXED_SEC }, 'a-shared-secret', { expiresIn: '1h', issuer: 'nimbus' });
  const rs = jwt.sign({ sub: 'user-2', iat: FIXED_SEC }, RSA_PRIVATE_PEM, { algorithm: 'RS256', keyid: 'k1' });
  const clockTimestamp = FIXED_SEC + 10;
  let expired = '';
  try {
    jwt.verify(hs, 'a-shared-secret', { clockTimestamp: FIXED_SEC + 7200 });
  } catch (e) {
    expired = (e as Error).name;
  }
  let badSig = '';
  try {
    jwt.verify(hs, 'another-secret', { clockTimestamp });
  } catch (e) {
    badSig = (e as Error).message;
  }
  return {
    hs,
    rs,
    hsVerified: jwt.verify(hs, 'a-shared-secret', { clockTimestamp, issuer: 'nimbus' }),
    rsVerified: jwt.verify(rs, RSA_PUBLIC_PEM, { clockTimestamp, algorithms: ['RS256'] }),
    decoded: jwt.decode(rs, { complete: true }),
    expired,
    badSig,
  };
}
