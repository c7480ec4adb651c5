import CryptoJS from 'crypto-js';

export default function probe() {
  const key = CryptoJS.enc.Hex.parse('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
  const iv = CryptoJS.enc.Hex.parse('0f0e0d0c0b0a09080706050403020100');
  const encrypted = CryptoJS.AES.encrypt('secret message', key, { iv }).toString();
  const decrypted = CryptoJS.AES.decrypt(encrypted, key, { iv }).toString(CryptoJS.enc.Utf8);
  const withPassphrase = CryptoJS.AES.encrypt('hi', 'pass').toString();
  return {
    sha256: CryptoJS.SHA256('nimbus').toString(),
    md5: CryptoJS.MD5('nimbus').toString(),
    sha3: CryptoJS.SHA3('nimbus', { outputLength: 256 }).toString(),
    hmac: CryptoJS.HmacSHA512('message', 'key').toString(CryptoJS.enc.Base64),
    pbkdf2: CryptoJS.PBKDF2('password', 'salt', { keySize: 8, iterations: 100, hasher: CryptoJS.algo.SHA256 }).toString(),
    encrypted,
    decrypted,
    passphraseRoundTrip: CryptoJS.AES.decrypt(withPassphrase, 'pass').toString(CryptoJS.enc.Utf8),
  };
}
