/** The operation numbers of the Node layer's host call: one list for both sides (node/*.ts in the isolate, node-host.ts and node-sockets.ts on the host). Inside node/ because a build ships that directory alone. */
export const OP_HASH = 1;
export const OP_HMAC = 2;
export const OP_PBKDF2 = 3;
export const OP_SCRYPT = 4;
export const OP_HKDF = 5;
/** A whole cipher in one call (bundles that carry an older layer; the layer's ciphers use OP_CIPHER_PARTS). */
export const OP_CIPHER = 6;
export const OP_KEY = 7;
export const OP_SIGN = 8;
export const OP_VERIFY = 9;
export const OP_GENERATE = 10;
export const OP_EXPORT = 11;
export const OP_ZLIB = 12;
/** publicEncrypt/privateDecrypt/privateEncrypt/publicDecrypt (crypto-asym.ts). */
export const OP_RSA = 13;
export const OP_ECDH = 14;
export const OP_X509 = 15;
export const OP_DH = 16;
/** Hashes and HMACs fed in parts (node-digests.ts), for inputs past one call's limit. */
export const OP_DIGEST = 17;
/** Ciphers whose updates give their output at once (node-ciphers.ts). */
export const OP_CIPHER_PARTS = 18;
/** Ciphers the host keeps for one instance at once (past their first update). */
export const MAX_OPEN_CIPHERS = 64;

/** Sockets and DNS (node-sockets.ts on the host; net.ts and dns.ts in the isolate). */
export const OP_SOCKET_OPEN = 20;
export const OP_SOCKET_WRITE = 21;
export const OP_SOCKET_END = 22;
export const OP_SOCKET_DESTROY = 23;
export const OP_DNS_LOOKUP = 24;
export const OP_SOCKET_UPGRADE = 25;
export const OP_DNS_RESOLVE = 26;
