/** `diagnostics_channel`: named channels for publishing diagnostics inside the function. */
type Subscriber = (message: unknown, name: string | symbol) => void;

export class Channel {
  readonly name: string | symbol;
  #subscribers: Subscriber[] = [];
  constructor(name: string | symbol) {
    this.name = name;
  }
  get hasSubscribers(): boolean {
    return this.#subscribers.length > 0;
  }
  subscribe(fn: Subscriber): void {
    this.#subscribers = [...this.#subscribers, fn];
  }
  unsubscribe(fn: Subscriber): boolean {
    const before = this.#subscribers.length;
    this.#subscribers = this.#subscribers.filter((s) => s !== fn);
    return this.#subscribers.length < before;
  }
  publish(message: unknown): void {
    for (const s of this.#subscribers) {
      try {
        s(message, this.name);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
  bindStore(_store: unknown, _transform?: unknown): void {}
  unbindStore(_store: unknown): boolean {
    return false;
  }
  runStores<R>(message: unknown, fn: (...args: unknown[]) => R, thisArg?: unknown, ...args: unknown[]): R {
    this.publish(message);
    return fn.apply(thisArg, args);
  }
}

const channels = new Map<string | symbol, Channel>();

export function channel(name: string | symbol): Channel {
  let c = channels.get(name);
  if (c === undefined) channels.set(name, (c = new Channel(name)));
  return c;
}
export const hasSubscribers = (name: string | symbol): boolean => channels.get(name)?.hasSubscribers ?? false;
export const subscribe = (name: string | symbol, fn: Subscriber): void => channel(name).subscribe(fn);
export const unsubscribe = (name: string | symbol, fn: Subscriber): boolean => channel(name).unsubscribe(fn);

const EVENTS = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const;

export function tracingChannel(name: string | Record<string, Channel>) {
  const ch = Object.fromEntries(EVENTS.map((e) => [e, typeof name === 'string' ? channel(`tracing:${name}:${e}`) : name[e]!])) as Record<(typeof EVENTS)[number], Channel>;
  return {
    ...ch,
    get hasSubscribers() {
      return EVENTS.some((e) => ch[e].hasSubscribers);
    },
    subscribe(handlers: Partial<Record<(typeof EVENTS)[number], Subscriber>>) {
      for (const e of EVENTS) if (handlers[e]) ch[e].subscribe(handlers[e]!);
    },
    unsubscribe(handlers: Partial<Record<(typeof EVENTS)[number], Subscriber>>) {
      let all = true;
      for (const e of EVENTS) if (handlers[e] && !ch[e].unsubscribe(handlers[e]!)) all = false;
      return all;
    },
    traceSync<R>(fn: (...args: unknown[]) => R, context: Record<string, unknown> = {}, thisArg?: unknown, ...args: unknown[]): R {
      ch.start.publish(context);
      try {
        const result = fn.apply(thisArg, args);
        context.result = result;
        return result;
      } catch (error) {
        context.error = error;
        ch.error.publish(context);
        throw error;
      } finally {
        ch.end.publish(context);
      }
    },
    async tracePromise<R>(fn: (...args: unknown[]) => Promise<R>, context: Record<string, unknown> = {}, thisArg?: unknown, ...args: unknown[]): Promise<R> {
      ch.start.publish(context);
      try {
        const result = await fn.apply(thisArg, args);
        context.result = result;
        ch.asyncEnd.publish(context);
        return result;
      } catch (error) {
        context.error = error;
        ch.error.publish(context);
        throw error;
      } finally {
        ch.end.publish(context);
      }
    },
  };
}

export default { channel, hasSubscribers, subscribe, unsubscribe, tracingChannel, Channel };
