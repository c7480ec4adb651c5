import { SignJWT, jwtVerify, importPKCS8, importSPKI, EncryptJWT, jwtDecrypt, exportJWK, base64url, decodeProtectedHeader } from 'jose';
import { FIXED_SEC, RSA_PRIVATE_PEM, RSA_PUBLIC_PEM } from './fixtures.ts';

export default async function probe() {
  const secret = new TextEncoder().encode('a-shared-secret-of-32-bytes-long');
  const currentDate = new Date((FIXED_SEC + 10) * 1000);
  const hs = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('user-1').setIssuedAt(FIXED_SEC).setExpirationTime(FIXED_SEC + 3600).sign(secret);
  const priv = await importPKCS8(RSA_PRIVATE_PEM, 'RS256');
  const pub = await importSPKI(RSA_PUBLIC_PEM, 'RS256', { extractable: true });
  const rs = await new SignJWT({ n: 1 }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuedAt(FIXED_SEC).sign(priv);
  const encrypted = await new EncryptJWT({ secret: 'x' }).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).setIssuedAt(FIXED_SEC).encrypt(secret);
  const decrypted = await jwtDecrypt(encrypted, secret, { currentDate });
  return {
    hs,
    rs,
    hsPayload: (await jwtVerify(hs, secret, { currentDate })).payload,
    rsPayload: (await jwtVerify(rs, pub, { currentDate })).payload,
    header: decodeProtectedHeader(rs),
    jwk: await exportJWK(pub),
    decrypted: decrypted.payload,
    b64: base64url.encode('nimbus?>'),
  };
}
