import { createHash, randomBytes, randomFillSync } from 'node:crypto';

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';
const DIGIT_CODES = Buffer.from(CROCKFORD, 'latin1');
/** The Crockford digit of each ASCII char code, -1 for a code that is not one. */
const DIGIT_OF = new Int8Array(128).fill(-1);
for (let i = 0; i < 32; i++) DIGIT_OF[CROCKFORD.charCodeAt(i)] = i;

// Ids are made on the hot path: written as bytes and read out as one flat string (adding
// chars one by one made a string per char: ~0.9 µs and ~0.5 KB of garbage an id).
const idBytes = Buffer.alloc(26);
const prefixBytes = Buffer.alloc(10);

/**
 * Time-sortable unique ids (ULID layout, lower case): 10 chars of milliseconds then 16
 * random chars. Sorting ids sorts by creation time, which the store's indexes rely on.
 */
export function newId(nowMs: number): string {
  writeTime(idBytes, nowMs);
  const bytes = takeRandom(10);
  for (let i = 0; i < 16; i++) {
    // 10 bytes = 80 bits = 16 five-bit groups
    const bit = i * 5;
    const byte = bit >> 3;
    const shift = bit & 7;
    const word = (bytes[byte] << 8) | (byte + 1 < 10 ? bytes[byte + 1] : 0);
    idBytes[10 + i] = DIGIT_CODES[(word >> (11 - shift)) & 31];
  }
  return idBytes.toString('latin1', 0, 26);
}

/**
 * An id laid out as newId's, made at `nowMs`, whose random part is a hash of `seed`: the
 * same seed and time give the same id (a delivery that several nodes may each attempt).
 */
export function idFrom(nowMs: number, seed: string): string {
  const out = Buffer.alloc(26);
  writeTime(out, nowMs);
  const bytes = createHash('sha256').update(seed).digest();
  for (let i = 0; i < 16; i++) {
    const bit = i * 5;
    const byte = bit >> 3;
    const word = (bytes[byte] << 8) | bytes[byte + 1];
    out[10 + i] = DIGIT_CODES[(word >> (11 - (bit & 7))) & 31];
  }
  return out.toString('latin1');
}

/** The 10 characters an id made at `ms` starts with; ids made at or after `ms` sort at or after it. */
export function idTimePrefix(ms: number): string {
  writeTime(prefixBytes, ms);
  return prefixBytes.toString('latin1', 0, 10);
}

function writeTime(out: Buffer, ms: number): void {
  let t = Math.max(0, Math.floor(ms));
  for (let i = 9; i >= 0; i--) {
    out[i] = DIGIT_CODES[t % 32];
    t = Math.floor(t / 32);
  }
}

/** Every id newId, idFrom (and the workflow engine's task ids) make: 26 lower-case Crockford digits. */
const ID_SHAPE = /^[0-9a-hjkmnp-tv-z]{26}$/;

/** Whether `s` has the shape of an id made here (a time and random part of any value have it). */
export function isId(s: string): boolean {
  return ID_SHAPE.test(s);
}

/** When an id made by newId was made (epoch ms); null for a string that is not such an id. */
export function idTimeMs(id: string): number | null {
  if (id.length !== 26) return null;
  let t = 0;
  for (let i = 0; i < 10; i++) {
    const code = id.charCodeAt(i);
    const digit = code < 128 ? DIGIT_OF[code] : -1;
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
