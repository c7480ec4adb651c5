/**
 * CryptoKey inside the isolate: the key itself lives in the host (crypto-host.ts); this
 * object holds its number in a private WeakMap, so user code can neither read a number
 * nor make an object that passes for a key. When a key is collected the host forgets it.
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

const freed =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<number>((handle) => send(OUT_CALL, 0, 0, OP_KEY_FREE, handle))
    : null;

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
  freed?.register(key, handle);
  return key;
}

/** The host's number for a key made by mintKey, or undefined for anything else. */
export function handleOf(value: unknown): number | undefined {
  return typeof value === 'object' && value !== null ? slotOf(slots, value)?.handle : undefined;
}
