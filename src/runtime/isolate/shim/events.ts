/** DOMException, Event, CustomEvent and EventTarget (the DOM's, with no tree: an event reaches its target only). */

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
  HierarchyRequestError: 3,
  WrongDocumentError: 4,
  NoModificationAllowedError: 7,
  InUseAttributeError: 10,
  InvalidModificationError: 13,
  NamespaceError: 14,
  ValidationError: 16,
  URLMismatchError: 21,
  InvalidNodeTypeError: 24,
};

export class DOMException extends Error {
  readonly #brand = true;
  constructor(message = '', name = 'Error') {
    super(message);
    Object.defineProperty(this, 'name', { value: String(name), writable: true, configurable: true, enumerable: false });
  }
  get code(): number {
    if (!(typeof this === 'object' && this !== null && #brand in this)) throw new TypeError('Illegal invocation');
    return CODES[this.name] ?? 0;
  }
}
// WebIDL: the legacy code constants on the interface and its prototype, attributes enumerable
const LEGACY_CODES =
  'INDEX_SIZE DOMSTRING_SIZE HIERARCHY_REQUEST WRONG_DOCUMENT INVALID_CHARACTER NO_DATA_ALLOWED NO_MODIFICATION_ALLOWED NOT_FOUND NOT_SUPPORTED INUSE_ATTRIBUTE INVALID_STATE SYNTAX INVALID_MODIFICATION NAMESPACE INVALID_ACCESS VALIDATION TYPE_MISMATCH SECURITY NETWORK ABORT URL_MISMATCH QUOTA_EXCEEDED TIMEOUT INVALID_NODE_TYPE DATA_CLONE'.split(' ');
LEGACY_CODES.forEach((name, i) => {
  for (const target of [DOMException, DOMException.prototype]) Object.defineProperty(target, `${name}_ERR`, { value: i + 1, enumerable: true });
});
Object.defineProperty(DOMException.prototype, 'code', { enumerable: true });

/** WebIDL's QuotaExceededError: a DOMException that may say what was asked for and what is allowed. */
export class QuotaExceededError extends DOMException {
  readonly #quota: number | null = null;
  readonly #requested: number | null = null;
  constructor(message = '', options: { quota?: unknown; requested?: unknown } | null | undefined = {}) {
    super(message, 'QuotaExceededError');
    const double = (v: unknown, what: string): number | null => {
      if (v === undefined) return null;
      const n = Number(v);
      if (!Number.isFinite(n)) throw new TypeError(`QuotaExceededError: ${what} is not a finite number`);
      if (n < 0) throw new RangeError(`QuotaExceededError: ${what} must not be negative`);
      return n;
    };
    const quota = double(options?.quota, 'quota');
    const requested = double(options?.requested, 'requested');
    if (quota !== null && requested !== null && requested < quota) throw new RangeError('QuotaExceededError: requested must not be less than quota');
    this.#quota = quota;
    this.#requested = requested;
  }
  get quota(): number | null {
    if (!(typeof this === 'object' && this !== null && #quota in this)) throw new TypeError('Illegal invocation');
    return this.#quota;
  }
  get requested(): number | null {
    if (!(typeof this === 'object' && this !== null && #requested in this)) throw new TypeError('Illegal invocation');
    return this.#requested;
  }
}
for (const name of ['quota', 'requested']) Object.defineProperty(QuotaExceededError.prototype, name, { enumerable: true });

export interface EventInit {
  bubbles?: boolean;
  cancelable?: boolean;
  composed?: boolean;
}

/** Per-event state the DOM keeps in flags; in a WeakMap so user code cannot reach it. */
interface EventState {
  type: string;
  bubbles: boolean;
  cancelable: boolean;
  composed: boolean;
  canceled: boolean;
  stopPropagation: boolean;
  stopImmediate: boolean;
  dispatching: boolean;
  initialized: boolean;
  inPassiveListener: boolean;
  /** set only by the platform (markTrusted): an event a script constructs is never trusted */
  trusted: boolean;
  phase: number;
  target: EventTarget | null;
  currentTarget: EventTarget | null;
}

const eventStates = new WeakMap<object, EventState>();

function stateOf(event: unknown): EventState {
  const state = typeof event === 'object' && event !== null ? eventStates.get(event) : undefined;
  if (state === undefined) throw new TypeError('Illegal invocation: not an Event');
  return state;
}

/** The DOM's Event, with the legacy members (`cancelBubble`, `returnValue`, `srcElement`, `initEvent`). */
export class Event {
  static readonly NONE = 0;
  static readonly CAPTURING_PHASE = 1;
  static readonly AT_TARGET = 2;
  static readonly BUBBLING_PHASE = 3;
  declare readonly NONE: 0;
  declare readonly CAPTURING_PHASE: 1;
  declare readonly AT_TARGET: 2;
  declare readonly BUBBLING_PHASE: 3;
  readonly timeStamp = Date.now();

  constructor(type: string, init: EventInit | null = {}) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'Event': 1 argument required");
    eventStates.set(this, {
      type: String(type),
      bubbles: Boolean(init?.bubbles),
      cancelable: Boolean(init?.cancelable),
      composed: Boolean(init?.composed),
      canceled: false,
      stopPropagation: false,
      stopImmediate: false,
      dispatching: false,
      initialized: true,
      inPassiveListener: false,
      trusted: false,
      phase: 0,
      target: null,
      currentTarget: null,
    });
    // isTrusted is an own, unforgeable attribute on every event
    Object.defineProperty(this, 'isTrusted', { get: isTrustedGetter, enumerable: true, configurable: false });
  }
  get type(): string {
    return stateOf(this).type;
  }
  get bubbles(): boolean {
    return stateOf(this).bubbles;
  }
  get cancelable(): boolean {
    return stateOf(this).cancelable;
  }
  get composed(): boolean {
    return stateOf(this).composed;
  }
  get target(): EventTarget | null {
    return stateOf(this).target;
  }
  get srcElement(): EventTarget | null {
    return stateOf(this).target;
  }
  get currentTarget(): EventTarget | null {
    return stateOf(this).currentTarget;
  }
  get eventPhase(): number {
    return stateOf(this).phase;
  }
  get defaultPrevented(): boolean {
    return stateOf(this).canceled;
  }
  get returnValue(): boolean {
    return !stateOf(this).canceled;
  }
  set returnValue(value: boolean) {
    if (!value) cancel(stateOf(this));
  }
  get cancelBubble(): boolean {
    return stateOf(this).stopPropagation;
  }
  set cancelBubble(value: boolean) {
    if (value) stateOf(this).stopPropagation = true;
  }
  composedPath(): EventTarget[] {
    const state = stateOf(this);
    return state.currentTarget === null ? [] : [state.currentTarget];
  }
  preventDefault(): void {
    cancel(stateOf(this));
  }
  stopPropagation(): void {
    stateOf(this).stopPropagation = true;
  }
  stopImmediatePropagation(): void {
    const state = stateOf(this);
    state.stopPropagation = true;
    state.stopImmediate = true;
  }
  initEvent(type: string, bubbles = false, cancelable = false): void {
    if (arguments.length === 0) throw new TypeError("Failed to execute 'initEvent': 1 argument required");
    const state = stateOf(this);
    if (state.dispatching) return;
    state.initialized = true;
    state.stopPropagation = false;
    state.stopImmediate = false;
    state.canceled = false;
    state.target = null;
    state.type = String(type);
    state.bubbles = Boolean(bubbles);
    state.cancelable = Boolean(cancelable);
  }
  get [Symbol.toStringTag](): string {
    return 'Event';
  }
}
for (const [name, value] of [['NONE', 0], ['CAPTURING_PHASE', 1], ['AT_TARGET', 2], ['BUBBLING_PHASE', 3]] as const) {
  Object.defineProperty(Event.prototype, name, { value, enumerable: true });
}

// one getter shared by every event (the attribute is [LegacyUnforgeable]), reading the event's flag
function isTrustedGetter(this: unknown): boolean {
  const state = typeof this === 'object' && this !== null ? eventStates.get(this) : undefined;
  return state?.trusted ?? false;
}

/** Marks an event the platform itself dispatches (an abort, a socket's message) as trusted. */
export function markTrusted<E extends Event>(event: E): E {
  stateOf(event).trusted = true;
  return event;
}

function cancel(state: EventState): void {
  if (state.cancelable && !state.inPassiveListener) state.canceled = true;
}

/** The DOM's CustomEvent: an Event carrying `detail`. */
export class CustomEvent<T = unknown> extends Event {
  #detail: T | null;
  constructor(type: string, init: (EventInit & { detail?: T }) | null = {}) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'CustomEvent': 1 argument required");
    super(type, init);
    this.#detail = init?.detail === undefined ? null : init.detail;
  }
  get detail(): T | null {
    return this.#detail;
  }
  initCustomEvent(type: string, bubbles = false, cancelable = false, detail: T | null = null): void {
    if (arguments.length === 0) throw new TypeError("Failed to execute 'initCustomEvent': 1 argument required");
    if (stateOf(this).dispatching) return;
    this.initEvent(type, bubbles, cancelable);
    this.#detail = detail;
  }
  override get [Symbol.toStringTag](): string {
    return 'CustomEvent';
  }
}

type Listener = ((event: Event) => unknown) | { handleEvent(event: Event): unknown };
interface Registration {
  listener: Listener;
  capture: boolean;
  once: boolean;
  passive: boolean;
  removed: boolean;
}
type ListenerOptions = boolean | { capture?: boolean; once?: boolean; passive?: boolean; signal?: unknown };

/** Listener lists by target, in a WeakMap so that the global object can be an EventTarget too. */
const listenerMaps = new WeakMap<object, Map<string, Registration[]>>();

/** The target a method was called on: WebIDL gives the global object when `this` is missing. */
function targetOf(self: unknown): EventTarget {
  const target = self === undefined || self === null ? globalThis : self;
  if (!(target instanceof EventTarget) && target !== globalThis) throw new TypeError('Illegal invocation: not an EventTarget');
  return target as EventTarget;
}

function listenersOf(target: object): Map<string, Registration[]> {
  let map = listenerMaps.get(target);
  if (map === undefined) {
    map = new Map();
    listenerMaps.set(target, map);
  }
  return map;
}

function captureOf(options: ListenerOptions | undefined): boolean {
  return typeof options === 'boolean' ? options : typeof options === 'object' && options !== null && Boolean(options.capture);
}

export class EventTarget {
  addEventListener(type: string, listener: Listener | null, options?: ListenerOptions): void {
    const target = targetOf(this);
    const capture = captureOf(options);
    const dict = typeof options === 'object' && options !== null ? options : undefined;
    const once = Boolean(dict?.once);
    const passive = Boolean(dict?.passive);
    let signal: (EventTarget & { aborted?: boolean }) | undefined;
    if (dict !== undefined && 'signal' in dict && dict.signal !== undefined) {
      const candidate = dict.signal as { aborted?: unknown } | null;
      if (candidate === null || typeof candidate !== 'object' || typeof candidate.aborted !== 'boolean' || !(candidate instanceof EventTarget)) {
        throw new TypeError("Failed to execute 'addEventListener': member signal is not of type AbortSignal");
      }
      signal = candidate as EventTarget & { aborted: boolean };
    }
    if (listener === null || listener === undefined) return;
    if (signal?.aborted) return;
    const key = String(type);
    const map = listenersOf(target);
    const list = map.get(key) ?? [];
    if (list.some((r) => r.listener === listener && r.capture === capture)) return;
    list.push({ listener, capture, once, passive, removed: false });
    map.set(key, list);
    signal?.addEventListener('abort', () => target.removeEventListener(key, listener, { capture }), { once: true });
  }

  removeEventListener(type: string, listener: Listener | null, options?: ListenerOptions): void {
    const target = targetOf(this);
    const capture = captureOf(options);
    const list = listenerMaps.get(target)?.get(String(type));
    if (!list) return;
    const i = list.findIndex((r) => r.listener === listener && r.capture === capture);
    if (i >= 0) {
      list[i].removed = true;
      list.splice(i, 1);
    }
  }

  dispatchEvent(event: Event): boolean {
    const target = targetOf(this);
    if (!(event instanceof Event)) throw new TypeError("Failed to execute 'dispatchEvent': parameter 1 is not of type 'Event'");
    const state = stateOf(event);
    if (state.dispatching || !state.initialized) {
      throw new DOMException("Failed to execute 'dispatchEvent': the event is already being dispatched", 'InvalidStateError');
    }
    state.dispatching = true;
    state.target = target;
    state.currentTarget = target;
    state.phase = 2;
    try {
      const all = [...(listenerMaps.get(target)?.get(state.type) ?? [])];
      const handlerProp = (target as unknown as Record<string, unknown>)['on' + state.type];
      if (typeof handlerProp === 'function') all.unshift({ listener: handlerProp as Listener, capture: false, once: false, passive: false, removed: false });
      // at the target, capturing listeners run first, then the others (the DOM's two passes)
      // (stopPropagation stops the event at the next target; with no tree there is none)
      for (const capturePass of [true, false]) {
        for (const reg of all) {
          if (state.stopImmediate) break;
          if (reg.capture !== capturePass || reg.removed) continue;
          if (reg.once) target.removeEventListener(state.type, reg.listener, { capture: reg.capture });
          state.inPassiveListener = reg.passive;
          try {
            if (typeof reg.listener === 'function') reg.listener.call(target, event);
            else {
              const handle = reg.listener.handleEvent;
              if (typeof handle !== 'function') throw new TypeError('The event listener has no handleEvent method');
              handle.call(reg.listener, event);
            }
          } catch (error) {
            reportError(error);
          } finally {
            state.inPassiveListener = false;
          }
        }
      }
    } finally {
      state.dispatching = false;
      state.phase = 0;
      state.currentTarget = null;
      state.stopPropagation = false;
      state.stopImmediate = false;
    }
    return !state.canceled;
  }
}

let reporting = false;

/**
 * An error thrown by a listener or a microtask: an `error` event on the global object (with
 * `error` and `message`, as a worker's ErrorEvent), then console.error unless a listener
 * called preventDefault, as browsers report them.
 */
export function reportError(error: unknown): void {
  const c = (globalThis as unknown as { console?: { error(...a: unknown[]): void } }).console;
  if (!reporting && globalThis instanceof EventTarget) {
    const event = new Event('error', { cancelable: true });
    Object.defineProperties(event, {
      error: { value: error, enumerable: true },
      message: { value: error instanceof Error ? error.message : String(error), enumerable: true },
    });
    reporting = true;
    let handled = false;
    try {
      handled = !(globalThis as unknown as EventTarget).dispatchEvent(event);
    } finally {
      reporting = false;
    }
    if (handled) return;
  }
  c?.error('Uncaught', error);
}
