/**
 * The input of a Hash or Hmac: buffered here and sent whole at `digest` (one host call)
 * while it is small; past FLUSH_BYTES it is fed to a digest the host keeps
 * (node-digests.ts) part by part, so a hash of any length holds at most FLUSH_BYTES here
 * and no call passes the host's input limit. When the host's store is full the input
 * stays buffered (as before streaming). A digest forgotten before `digest()` is freed on
 * the host when its object is collected.
 */
import { host, OP_DIGEST } from './host.ts';

const FLUSH_BYTES = 1024 * 1024;

const registry = new FinalizationRegistry<number>((id) => {
  try {
    host(OP_DIGEST, 'free', id);
  } catch {
    // the instance is ending
  }
});

export class DigestFeed {
  #chunks: ArrayBuffer[] = [];
  #buffered = 0;
  #id = 0;
  /** `open`: the host call that makes the host's digest (0: its store is full). */
  constructor(private readonly open: () => number) {}

  add(chunk: ArrayBuffer): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.byteLength;
    if (this.#buffered >= FLUSH_BYTES) this.#flush();
  }

  /** The digest: `oneShot` over the whole input when it never left this side. */
  finish(oneShot: (all: ArrayBuffer) => unknown): ArrayBuffer {
    if (this.#id === 0) return oneShot(this.#joined()) as ArrayBuffer;
    if (this.#buffered > 0) this.#send();
    const id = this.#id;
    this.#id = 0;
    registry.unregister(this);
    return host(OP_DIGEST, 'digest', id) as ArrayBuffer;
  }

  /** A feed with the same input so far (Hash.copy). */
  copy(open: () => number): DigestFeed {
    const twin = new DigestFeed(open);
    if (this.#id !== 0) {
      if (this.#buffered > 0) this.#send();
      const id = host(OP_DIGEST, 'copy', this.#id) as number;
      if (id !== 0) {
        twin.#id = id;
        registry.register(twin, id, twin);
        return twin;
      }
      throw new Error('too many hashes are open in this instance to copy one more');
    }
    for (const c of this.#chunks) twin.add(c.slice(0));
    return twin;
  }

  #flush(): void {
    if (this.#id === 0) {
      this.#id = this.open();
      if (this.#id === 0) return;
      registry.register(this, this.#id, this);
    }
    this.#send();
  }

  #send(): void {
    host(OP_DIGEST, 'update', this.#id, this.#joined());
    this.#chunks = [];
    this.#buffered = 0;
  }

  #joined(): ArrayBuffer {
    if (this.#chunks.length === 1) return this.#chunks[0]!;
    const joined = new Uint8Array(this.#buffered);
    let at = 0;
    for (const c of this.#chunks) {
      joined.set(new Uint8Array(c), at);
      at += c.byteLength;
    }
    return joined.buffer;
  }
}
