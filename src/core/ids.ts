import { randomBytes, randomFillSync } from 'node:crypto';

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * Time-sortable unique ids (ULID layout, lower case): 10 chars of milliseconds then 16
 * random chars. Sorting ids sorts by creation time, which the store's indexes rely on.
 */
export function newId(nowMs: number): string {
  let time = '';
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = takeRandom(10);
  let rand = '';
  for (let i = 0; i < 16; i++) {
    // 10 bytes = 80 bits = 16 five-bit groups
    const bit = i * 5;
    const byte = bit >> 3;
    const shift = bit & 7;
    const word = (bytes[byte] << 8) | (bytes[byte + 1] ?? 0);
    rand += CROCKFORD[(word >> (11 - shift)) & 31];
  }
  return time + rand;
}

// One syscall per ~400 ids instead of one per id: ids are made on the hot path.
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

function takeRandom(n: number): Buffer {
  if (poolAt + n > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const out = pool.subarray(poolAt, poolAt + n);
  poolAt += n;
  return out;
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}
