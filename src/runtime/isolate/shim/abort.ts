/** AbortController / AbortSignal (timeout and any included). */
import { DOMException, Event, EventTarget, markTrusted } from './events.ts';
import { setTimeout } from './timers.ts';

export class AbortSignal extends EventTarget {
  #aborted = false;
  #reason: unknown = undefined;
  onabort: ((event: Event) => unknown) | null = null;

  /** internal: use AbortController */
  constructor(key?: symbol) {
    super();
    if (key !== INTERNAL) throw new TypeError('Illegal constructor');
  }

  get aborted(): boolean {
    return this.#aborted;
  }
  get reason(): unknown {
    return this.#reason;
  }
  throwIfAborted(): void {
    if (this.#aborted) throw this.#reason;
  }

  /** internal */
  _abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
    this.dispatchEvent(markTrusted(new Event('abort')));
  }

  static abort(reason?: unknown): AbortSignal {
    const s = new AbortSignal(INTERNAL);
    s._abort(reason);
    return s;
  }
  static timeout(ms: number): AbortSignal {
    const s = new AbortSignal(INTERNAL);
    setTimeout(() => s._abort(new DOMException('The operation timed out.', 'TimeoutError')), ms);
    return s;
  }
  static any(signals: Iterable<AbortSignal>): AbortSignal {
    const s = new AbortSignal(INTERNAL);
    for (const other of signals) {
      if (other.aborted) {
        s._abort(other.reason);
        return s;
      }
    }
    for (const other of signals) other.addEventListener('abort', () => s._abort(other.reason), { once: true });
    return s;
  }
  get [Symbol.toStringTag](): string {
    return 'AbortSignal';
  }
}

const INTERNAL = Symbol('internal');

export class AbortController {
  readonly #signal = new AbortSignal(INTERNAL);
  get signal(): AbortSignal {
    return this.#signal;
  }
  abort(reason?: unknown): void {
    this.#signal._abort(reason);
  }
  get [Symbol.toStringTag](): string {
    return 'AbortController';
  }
}
