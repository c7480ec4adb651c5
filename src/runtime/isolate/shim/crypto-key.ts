/**
 * CryptoKey inside the isolate: the key itself lives in the host (crypto-host.ts); this
 * object holds its number in a private WeakMap, so user code can neither read a number
 * nor make an object that passes for a key. Once a key is collected the host is told to
 * forget it (swept as keys are made, and when the host's store is full).
 */
import { OP_KEY_FREE, OUT_CALL } from '../protocol.ts';
import { send } from './bridge.ts';

interface Slot {
  readonly handle: number;
  readonly type: string;
  readonly extractable: boolean;
  readonly algorithm: Record<string, unknown>;
  readonly usages: string[];
}

/** number, type, extractable, algorithm, usages, as crypto-host.ts sends them. */
export type KeyWire = [number, string, boolean, Record<string, unknown>, string[]];

const slots = new WeakMap<object, Slot>();
// bound now, before user code runs: patching WeakMap.prototype later cannot forge a key
const slotOf = Function.prototype.call.bind(WeakMap.prototype.get) as (map: WeakMap<object, Slot>, key: object) => Slot | undefined;
const setSlot = Function.prototype.call.bind(WeakMap.prototype.set) as (map: WeakMap<object, Slot>, key: object, slot: Slot) => void;
let minting = false;

/*
 * Keys made, weakly held, with their numbers. (A FinalizationRegistry would be neater, but
 * its callbacks never run in these isolates; a WeakRef is cleared by the GC itself.)
 */
let made: Array<[WeakRef<object>, number]> = [];
let sweepAt = 64;

/** Tells the host which keys the isolate no longer holds; returns how many. */
export function sweepKeys(): number {
  const kept: Array<[WeakRef<object>, number]> = [];
  let freedCount = 0;
  for (const entry of made) {
    if (entry[0].deref() === undefined) {
      send(OUT_CALL, 0, 0, OP_KEY_FREE, entry[1]);
      freedCount++;
    } else kept.push(entry);
  }
  made = kept;
  sweepAt = Math.max(64, made.length * 2);
  return freedCount;
}

function slot(key: unknown): Slot {
  const s = typeof key === 'object' && key !== null ? slotOf(slots, key) : undefined;
  if (s === undefined) throw new TypeError('Illegal invocation');
  return s;
}

export class CryptoKey {
  constructor() {
    if (!minting) throw new TypeError('Illegal constructor');
  }
  get type(): string {
    return slot(this).type;
  }
  get extractable(): boolean {
    return slot(this).extractable;
  }
  get algorithm(): Record<string, unknown> {
    return slot(this).algorithm;
  }
  get usages(): string[] {
    return slot(this).usages;
  }
  get [Symbol.toStringTag](): string {
    return 'CryptoKey';
  }
}

export function mintKey(wire: KeyWire): CryptoKey {
  const [handle, type, extractable, alg, usages] = wire;
  const algorithm: Record<string, unknown> = { ...alg };
  if (algorithm.publicExponent instanceof ArrayBuffer) algorithm.publicExponent = new Uint8Array(algorithm.publicExponent);
  minting = true;
  let key: CryptoKey;
  try {
    key = new CryptoKey();
  } finally {
    minting = false;
  }
  setSlot(slots, key, { handle, type, extractable, algorithm, usages: [...usages] });
  made.push([new WeakRef(key), handle]);
  if (made.length >= sweepAt) sweepKeys();
  return key;
}

/** The host's number for a key made by mintKey, or undefined for anything else. */
export function handleOf(value: unknown): number | undefined {
  return typeof value === 'object' && value !== null ? slotOf(slots, value)?.handle : undefined;
}
