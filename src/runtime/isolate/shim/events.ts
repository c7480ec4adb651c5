/** DOMException, Event and EventTarget: just enough for AbortSignal and user code. */

const CODES: Record<string, number> = {
  IndexSizeError: 1,
  NotFoundError: 8,
  NotSupportedError: 9,
  InvalidStateError: 11,
  SyntaxError: 12,
  InvalidAccessError: 15,
  TypeMismatchError: 17,
  SecurityError: 18,
  NetworkError: 19,
  AbortError: 20,
  QuotaExceededError: 22,
  TimeoutError: 23,
  DataCloneError: 25,
  InvalidCharacterError: 5,
};

export class DOMException extends Error {
  constructor(message = '', name = 'Error') {
    super(message);
    Object.defineProperty(this, 'name', { value: String(name), writable: true, configurable: true, enumerable: false });
  }
  get code(): number {
    return CODES[this.name] ?? 0;
  }
}

export interface EventInit {
  bubbles?: boolean;
  cancelable?: boolean;
  composed?: boolean;
}

export class Event {
  readonly type: string;
  readonly bubbles: boolean;
  readonly cancelable: boolean;
  readonly composed: boolean;
  readonly timeStamp = Date.now();
  defaultPrevented = false;
  target: EventTarget | null = null;
  currentTarget: EventTarget | null = null;
  /** internal: stopImmediatePropagation called */
  _stop = false;
  constructor(type: string, init: EventInit = {}) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'Event': 1 argument required");
    this.type = String(type);
    this.bubbles = Boolean(init?.bubbles);
    this.cancelable = Boolean(init?.cancelable);
    this.composed = Boolean(init?.composed);
  }
  preventDefault(): void {
    if (this.cancelable) this.defaultPrevented = true;
  }
  stopPropagation(): void {}
  stopImmediatePropagation(): void {
    this._stop = true;
  }
  get [Symbol.toStringTag](): string {
    return 'Event';
  }
}

type Listener = ((event: Event) => unknown) | { handleEvent(event: Event): unknown };
interface Registration {
  listener: Listener;
  once: boolean;
  removed: boolean;
}

export class EventTarget {
  readonly #listeners = new Map<string, Registration[]>();

  addEventListener(type: string, listener: Listener | null, options?: boolean | { once?: boolean; signal?: unknown }): void {
    if (listener === null || listener === undefined) return;
    const once = typeof options === 'object' && options !== null && Boolean(options.once);
    const list = this.#listeners.get(type) ?? [];
    if (list.some((r) => r.listener === listener)) return;
    const reg: Registration = { listener, once, removed: false };
    list.push(reg);
    this.#listeners.set(type, list);
    const signal = typeof options === 'object' && options !== null ? (options.signal as EventTarget & { aborted?: boolean }) : undefined;
    if (signal) {
      if (signal.aborted) this.removeEventListener(type, listener);
      else signal.addEventListener('abort', () => this.removeEventListener(type, listener), { once: true });
    }
  }

  removeEventListener(type: string, listener: Listener | null): void {
    const list = this.#listeners.get(type);
    if (!list) return;
    const i = list.findIndex((r) => r.listener === listener);
    if (i >= 0) {
      list[i].removed = true;
      list.splice(i, 1);
    }
  }

  dispatchEvent(event: Event): boolean {
    if (!(event instanceof Event)) throw new TypeError("Failed to execute 'dispatchEvent': parameter 1 is not of type 'Event'");
    event.target = this;
    event.currentTarget = this;
    const handlerProp = (this as unknown as Record<string, unknown>)['on' + event.type];
    const list = [...(this.#listeners.get(event.type) ?? [])];
    if (typeof handlerProp === 'function') list.unshift({ listener: handlerProp as Listener, once: false, removed: false });
    for (const reg of list) {
      if (reg.removed) continue;
      if (reg.once) this.removeEventListener(event.type, reg.listener);
      try {
        if (typeof reg.listener === 'function') reg.listener.call(this, event);
        else reg.listener.handleEvent(event);
      } catch (error) {
        reportError(error);
      }
      if (event._stop) break;
    }
    event.currentTarget = null;
    return !event.defaultPrevented;
  }
}

/** Errors thrown by listeners and microtasks go to console.error, as browsers report them. */
export function reportError(error: unknown): void {
  const c = (globalThis as unknown as { console?: { error(...a: unknown[]): void } }).console;
  c?.error('Uncaught', error);
}
