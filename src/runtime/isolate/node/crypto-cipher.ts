/**
 * Cipheriv and Decipheriv: each `update` gives Node's output at once (whole blocks for CBC
 * and ECB, every byte for CTR, GCM, ChaCha20…), computed by the host's cipher
 * (node-ciphers.ts). A cipher fed once costs one host call: the first update asks the host
 * for its output and, ahead of time, for what `final` would then give, keeping nothing
 * there. Only a second update makes the host keep the cipher (its first input fed again,
 * its output dropped), by number, until `final`; a cipher forgotten before is freed on the
 * host when its object is collected. Both are stream.Transforms, made lazily (crypto-stream.ts).
 */
import { Buffer } from './buffer.ts';
import { chunkEncoding, LazyTransform, streamStep, type StreamCallback } from './crypto-stream.ts';
import { ab, buf, host, MAX_OPEN_CIPHERS, OP_CIPHER_PARTS } from './host.ts';

type Bytes = string | ArrayBufferView | ArrayBuffer;
type Decoder = { readonly encoding: string; write(b: Buffer): string; end(b?: Buffer): string };

/** Input one host call takes: a longer update is given to the host in parts of this size. */
const PART_BYTES = 4 * 1024 * 1024;

const registry = new FinalizationRegistry<number>((id) => {
  try {
    host(OP_CIPHER_PARTS, 'free', id);
  } catch {
    // the instance is ending
  }
});

/** The shapes of ciphers the host has made (decrypt, algorithm, key and IV lengths, tag length). */
const madeBefore = new Set<string>();

function stateError(what: string): Error {
  return Object.assign(new Error(`Invalid state for operation ${what}`), { code: 'ERR_CRYPTO_INVALID_STATE' });
}

function decoderFor(encoding: string): Decoder {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { StringDecoder } = require('./string_decoder.ts') as typeof import('./string_decoder.ts');
  return new StringDecoder(encoding as BufferEncoding) as unknown as Decoder;
}

/** What the first update asked the host ahead of time: `final`'s answer, while nothing changed since. */
interface Ahead {
  readonly last: ArrayBuffer | null;
  readonly tag: ArrayBuffer | null;
  readonly error: string | null;
}

/** The host's answer to 'once': the update's output, then final's (or its error) and tag. */
type Once = [ArrayBuffer, ArrayBuffer | null, ArrayBuffer | null, string | null];

export interface CipherOptions {
  authTagLength?: number;
  [key: string]: unknown;
}

class CipherBase extends LazyTransform {
  readonly #alg: string;
  readonly #key: ArrayBuffer;
  readonly #iv: ArrayBuffer | null;
  readonly #decrypt: boolean;
  readonly #tagLength: number | null;
  #aad: ArrayBuffer | null = null;
  #plaintextLength: number | null = null;
  #tag: ArrayBuffer | null = null;
  #padding = true;
  /** The first update's input, while the host keeps no cipher for this one. */
  #first: ArrayBuffer | null = null;
  #ahead: Ahead | null = null;
  #id = 0;
  #finished = false;
  _decoder: Decoder | null = null;

  constructor(decrypt: boolean, algorithm: string, key: ArrayBuffer, iv: Bytes | null, options?: CipherOptions) {
    super(options as never);
    this.#decrypt = decrypt;
    this.#alg = algorithm;
    this.#key = key;
    this.#iv = iv === null ? null : ab(iv);
    this.#tagLength = options?.authTagLength ?? null;
    // a cipher, key length and IV length the host has made before cost no call; others throw here, as in Node
    const shape = `${decrypt ? 'd' : 'c'}:${algorithm}:${key.byteLength}:${this.#iv?.byteLength ?? -1}:${this.#tagLength ?? -1}`;
    if (!madeBefore.has(shape)) {
      host(OP_CIPHER_PARTS, 'check', [algorithm, key, this.#iv, decrypt, null, null, this.#tagLength, true, null]);
      madeBefore.add(shape);
    }
  }

  update(data: Bytes, inputEncoding?: string, outputEncoding?: string): Buffer | string {
    if (this.#finished) throw new Error('Trying to add data in unsupported state');
    const input = ab(data, inputEncoding);
    let result: Buffer;
    if (input.byteLength <= PART_BYTES) result = buf(this.#step(input));
    else {
      const parts: Buffer[] = [];
      for (let at = 0; at < input.byteLength; at += PART_BYTES) parts.push(buf(this.#step(input.slice(at, at + PART_BYTES))));
      result = Buffer.concat(parts);
    }
    return this.#encode(result, outputEncoding, false);
  }

  final(outputEncoding?: string): Buffer | string {
    if (this.#finished) throw stateError('final');
    this.#finished = true;
    let last: Buffer;
    let tag: ArrayBuffer | null;
    if (this.#id !== 0) {
      const id = this.#id;
      this.#id = 0;
      registry.unregister(this);
      const [output, t] = host(OP_CIPHER_PARTS, 'final', id) as [ArrayBuffer, ArrayBuffer | null];
      last = buf(output);
      tag = t;
    } else if (this.#first === null) {
      // never fed: final of no input
      const [output, end, t, error] = this.#once(new ArrayBuffer(0));
      if (error !== null) throw new Error(error);
      last = Buffer.concat([buf(output), buf(end)]);
      tag = t;
    } else {
      // fed once: the answer asked ahead, else (a setting changed since) asked now
      const ahead = this.#ahead ?? this.#aheadOf(this.#once(this.#first));
      this.#first = null;
      this.#ahead = null;
      if (ahead.error !== null) throw new Error(ahead.error);
      last = buf(ahead.last!);
      tag = ahead.tag;
    }
    if (!this.#decrypt) this.#tag = tag;
    return this.#encode(last, outputEncoding, true);
  }

  setAAD(data: Bytes, options?: { plaintextLength?: number }): this {
    if (this.#first !== null || this.#id !== 0 || this.#finished) throw stateError('setAAD');
    this.#aad = ab(data);
    this.#plaintextLength = options?.plaintextLength ?? null;
    return this;
  }

  setAutoPadding(pad = true): this {
    if (this.#finished) throw stateError('setAutoPadding');
    // a decipher's first update held its last block back by the padding it had: the host keeps it, and changes it there
    if (this.#first !== null && (pad !== false) !== this.#padding) this.#keep(new ArrayBuffer(0));
    this.#padding = pad !== false;
    if (this.#id !== 0) host(OP_CIPHER_PARTS, 'set', this.#id, 'padding', this.#padding);
    this.#ahead = null;
    return this;
  }

  protected authTag(): Buffer {
    if (this.#decrypt || !this.#finished || this.#tag === null) throw stateError('getAuthTag');
    return buf(this.#tag);
  }

  protected setTag(tag: Bytes): void {
    if (!this.#decrypt || this.#finished) throw stateError('setAuthTag');
    this.#tag = ab(tag);
    if (this.#id !== 0) host(OP_CIPHER_PARTS, 'set', this.#id, 'tag', this.#tag);
    this.#ahead = null;
  }

  override _transform(chunk: Buffer, encoding: string, callback: StreamCallback): void {
    streamStep(callback, () => this.push(this.update(chunk, chunkEncoding(encoding))));
  }

  override _flush(callback: StreamCallback): void {
    streamStep(callback, () => this.push(this.final()));
  }

  #spec(): unknown[] {
    return [this.#alg, this.#key, this.#iv, this.#decrypt, this.#aad, this.#decrypt ? this.#tag : null, this.#tagLength, this.#padding, this.#plaintextLength];
  }

  /** One host call over `input`, keeping nothing there: its output, and what final would then give. */
  #once(input: ArrayBuffer): Once {
    return host(OP_CIPHER_PARTS, 'once', this.#spec(), input) as Once;
  }

  #aheadOf([, last, tag, error]: Once): Ahead {
    return { last, tag, error };
  }

  /** The output of one update of at most PART_BYTES. */
  #step(input: ArrayBuffer): ArrayBuffer {
    if (this.#id !== 0) return host(OP_CIPHER_PARTS, 'update', this.#id, input) as ArrayBuffer;
    if (this.#first === null) {
      const answer = this.#once(input);
      this.#first = input;
      this.#ahead = this.#aheadOf(answer);
      return answer[0];
    }
    return this.#keep(input);
  }

  /** Has the host keep this cipher from now on (its first input fed again), then feeds it `input`: its output. */
  #keep(input: ArrayBuffer): ArrayBuffer {
    const [id, output] = host(OP_CIPHER_PARTS, 'open', this.#spec(), this.#first, input) as [number, ArrayBuffer | null];
    if (id === 0) throw Object.assign(new Error(`too many ciphers are open in this instance (the limit is ${MAX_OPEN_CIPHERS}): call final() on the ones you are done with`), { code: 'ERR_NIMBUS_TOO_MANY_CIPHERS' });
    this.#id = id;
    this.#first = null;
    this.#ahead = null;
    registry.register(this, id, this);
    return output!;
  }

  #encode(result: Buffer, outputEncoding: string | undefined, end: boolean): Buffer | string {
    if (outputEncoding === undefined || outputEncoding === null || outputEncoding === 'buffer') return result;
    const decoder = (this._decoder ??= decoderFor(outputEncoding));
    return end ? decoder.end(result) : decoder.write(result);
  }
}

export class Cipheriv extends CipherBase {
  constructor(algorithm: string, key: ArrayBuffer, iv: Bytes | null, options?: CipherOptions) {
    super(false, algorithm, key, iv, options);
  }
  getAuthTag(): Buffer {
    return this.authTag();
  }
}

export class Decipheriv extends CipherBase {
  constructor(algorithm: string, key: ArrayBuffer, iv: Bytes | null, options?: CipherOptions) {
    super(true, algorithm, key, iv, options);
  }
  setAuthTag(tag: Bytes): this {
    this.setTag(tag);
    return this;
  }
}
