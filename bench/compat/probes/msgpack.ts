import { encode, decode } from '@msgpack/msgpack';
import { hex } from './fixtures.ts';

export default function probe() {
  const value = { id: 7, name: 'nimbus', tags: ['a', 'b'], nested: { f: 1.5, neg: -200, big: 2 ** 40 }, bin: Uint8Array.of(1, 2, 3), nil: null, when: new Date(Date.UTC(2024, 1, 29)) };
  const bytes = encode(value);
  const back = decode(bytes) as typeof value;
  return { hex: hex(bytes), back: { ...back, bin: Array.from(back.bin), when: back.when.toISOString() } };
}
