import { randomBytes, randomFillSync } from 'node:crypto';

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * Time-sortable unique ids (ULID layout, lower case): 10 chars of milliseconds then 16
 * random chars. Sorting ids sorts by creation time, which the store's indexes rely on.
 */
export function newId(nowMs: number): string {
  const time = idTimePrefix(nowMs);
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

/** The 10 characters an id made at `ms` starts with; ids made at or after `ms` sort at or after it. */
export function idTimePrefix(ms: number): string {
  let time = '';
  let t = Math.max(0, Math.floor(ms));
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return time;
}

/** When an id made by newId was made (epoch ms); null for a string that is not such an id. */
export function idTimeMs(id: string): number | null {
  if (id.length !== 26) return null;
  let t = 0;
  for (let i = 0; i < 10; i++) {
    const digit = CROCKFORD.indexOf(id[i]);
    if (digit < 0) return null;
    t = t * 32 + digit;
  }
  return t;
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
