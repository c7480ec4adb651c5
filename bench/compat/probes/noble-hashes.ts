import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { sha3_256 } from '@noble/hashes/sha3.js';
import { hmac } from '@noble/hashes/hmac.js';
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { scrypt } from '@noble/hashes/scrypt.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

export default function probe() {
  const m = utf8ToBytes('nimbus');
  return {
    sha256: bytesToHex(sha256(m)),
    sha512: bytesToHex(sha512(m)),
    sha3: bytesToHex(sha3_256(m)),
    blake2b: bytesToHex(blake2b(m, { dkLen: 32 })),
    hmac: bytesToHex(hmac(sha256, utf8ToBytes('key'), m)),
    pbkdf2: bytesToHex(pbkdf2(sha256, 'password', 'salt', { c: 1000, dkLen: 32 })),
    scrypt: bytesToHex(scrypt('password', 'salt', { N: 1024, r: 8, p: 1, dkLen: 16 })),
  };
}
