/**
 * Deterministic randomness. The interpreter never calls Math.random: callers pass a
 * Random, and a host that replays events derives it from stable data (for example
 * `seededRandom(executionId + ':' + eventSequence)`) so a replay makes identical choices.
 */
import type { Random } from './types.ts';

/** 128-bit string hash (four 32-bit words), used to seed sfc32. */
function hash128(text: string): [number, number, number, number] {
  let h1 = 0x6a09e667;
  let h2 = 0xbb67ae85;
  let h3 = 0x3c6ef372;
  let h4 = 0xa54ff53a;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 0x85ebca6b);
    h2 = h3 ^ Math.imul(h2 ^ k, 0xc2b2ae35);
    h3 = h4 ^ Math.imul(h3 ^ k, 0x27d4eb2f);
    h4 = h1 ^ Math.imul(h4 ^ k, 0x165667b1);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 0x85ebca6b);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 0xc2b2ae35);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 0x27d4eb2f);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 0x165667b1);
  return [(h1 ^ h2 ^ h3 ^ h4) >>> 0, (h2 ^ h1) >>> 0, (h3 ^ h1) >>> 0, (h4 ^ h1) >>> 0];
}

/**
 * A small fast PRNG (sfc32) seeded from any string or number. The seed is hashed at the first
 * draw: most steps draw nothing.
 */
export function seededRandom(seed: string | number): Random {
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  let seeded = false;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  return () => {
    if (!seeded) {
      seeded = true;
      [a, b, c, d] = hash128(String(seed));
      for (let i = 0; i < 12; i++) next(); // mix the seed in
    }
    return next();
  };
}

/** An integer in [start, end) (end exclusive, like States.MathRandom). */
export function randomInt(random: Random, start: number, end: number): number {
  if (end <= start) return start;
  return start + Math.min(end - start - 1, Math.floor(random() * (end - start)));
}

/** A version-4 UUID built from `random`. */
export function uuidV4(random: Random): string {
  const bytes: number[] = [];
  for (let i = 0; i < 16; i++) bytes.push(Math.floor(random() * 256) & 0xff);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** An opaque token with 128 bits from `random` (task tokens for callbacks). */
export function randomToken(random: Random): string {
  let out = '';
  for (let i = 0; i < 4; i++) out += Math.floor(random() * 0x100000000).toString(36).padStart(7, '0');
  return out;
}
