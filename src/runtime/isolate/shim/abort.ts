/** AbortController / AbortSignal (timeout and any included). */
import { DOMException, Event, EventTarget, markTrusted } from './events.ts';
import { setTimeout } from './timers.ts';

export class AbortSignal extends EventTarget {
  #aborted = false;
  #reason: unknown = undefined;
  /** DOM's dependent signals (made by any()): aborted with a source, after it, in the order they were made. */
  #dependent = false;
  #sources: AbortSignal[] = [];
  /**
   * Held strongly: the DOM forbids collecting a dependent that has abort listeners while a
   * source may still abort it, and the isolate cannot tell which ones have listeners.
   */
  #dependents: AbortSignal[] = [];
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

  /** internal: the DOM's "signal abort": every dependent is marked aborted before any abort event fires. */
  _abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
    const toAbort: AbortSignal[] = [];
    for (const dependent of this.#dependents) {
      if (dependent.#aborted) continue;
      dependent.#aborted = true;
      dependent.#reason = this.#reason;
      toAbort.push(dependent);
    }
    this.#dependents = [];
    this.dispatchEvent(markTrusted(new Event('abort')));
    for (const dependent of toAbort) dependent.dispatchEvent(markTrusted(new Event('abort')));
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
    const list = [...signals];
    for (const other of list) {
      if (!(other instanceof AbortSignal)) throw new TypeError("AbortSignal.any: every member must be an AbortSignal");
    }
    const s = new AbortSignal(INTERNAL);
    for (const other of list) {
      if (other.#aborted) {
        s.#aborted = true;
        s.#reason = other.#reason;
        return s;
      }
    }
    s.#dependent = true;
    // a dependent signal is linked to its sources' sources, never to another dependent
    for (const other of list) {
      for (const source of other.#dependent ? other.#sources : [other]) {
        if (s.#sources.includes(source)) continue;
        s.#sources.push(source);
        source.#dependents.push(s);
      }
    }
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
