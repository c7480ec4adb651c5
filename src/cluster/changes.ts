/**
 * Invalidation across nodes. Every node keeps caches of what the store says (the catalog's
 * current versions, code, aliases and scale; async policies; armed timers). A change made
 * on one node is announced on the bus after the store has it, and every other node drops
 * what it cached of that name and reloads, so a deploy is served everywhere within the
 * bus's latency. announcingStore() makes the announcements: it wraps the store's writes
 * that change such state, so every path (REST, AWS APIs, deploy-declared triggers) is covered.
 */
import type { Bus } from '../bus/port.ts';
import type { Store } from '../store/ports.ts';

export type ChangeKind = 'function' | 'triggers' | 'workflow';

export interface Change {
  readonly kind: ChangeKind;
  readonly name: string;
  /** The node that made it. */
  readonly origin: string;
}

/** Subject of change announcements, in the cluster's namespace. */
export const changesSubject = (namespace: string): string => `${namespace}.changes`;

type Announce = (kind: ChangeKind, name: string) => void;

/** `target` with the methods named in `after` calling their hook once they resolved. */
function wrap<T extends object>(target: T, after: { [K in keyof T]?: (args: never[]) => void }): T {
  return new Proxy(target, {
    get(t, p, r) {
      const value = Reflect.get(t, p, r) as unknown;
      if (typeof value !== 'function') return value;
      const hook = (after as Record<PropertyKey, ((args: unknown[]) => void) | undefined>)[p];
      if (!hook) return value.bind(t);
      return async (...args: unknown[]) => {
        const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(t, args);
        hook(args);
        return result;
      };
    },
  });
}

/** The store, with its writes that change cached state announcing the change. */
export function announcingStore(store: Store, announce: Announce): Store {
  const fn = (kind: ChangeKind) => (args: never[]) => announce(kind, args[0] as string);
  return {
    ...store,
    functions: wrap(store.functions, {
      deploy: (args: never[]) => announce('function', (args[0] as { name: string }).name),
      delete: fn('function'),
      setScale: fn('function'),
    }),
    aliases: wrap(store.aliases, { set: fn('function'), delete: fn('function') }),
    asyncPolicies: wrap(store.asyncPolicies, { put: fn('function'), delete: fn('function') }),
    triggers: wrap(store.triggers, {
      create: (args: never[]) => announce('triggers', (args[0] as { functionName: string; workflow?: string | null }).workflow || (args[0] as { functionName: string }).functionName),
      delete: fn('triggers'),
      deleteForFunction: fn('triggers'),
      replaceDeclared: fn('triggers'),
    }),
    workflows: wrap(store.workflows, {
      deployMachine: (args: never[]) => announce('workflow', (args[0] as { name: string }).name),
      deleteMachine: fn('workflow'),
    }),
  };
}

export interface ChangeHandlers {
  readonly function: (name: string) => Promise<void> | void;
  readonly triggers: (name: string) => Promise<void> | void;
  readonly workflow: (name: string) => Promise<void> | void;
}

/**
 * Publishes this node's changes and applies the other nodes'. Changes of one name made in
 * one turn are announced once.
 */
export class ChangeFeed {
  private readonly pending = new Map<string, Change>();
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly bus: Bus,
    private readonly namespace: string,
    private readonly nodeId: string,
    private readonly onError: (error: unknown, what: string) => void,
  ) {}

  /** Starts applying other nodes' changes with `handlers`. */
  start(handlers: ChangeHandlers): void {
    this.unsubscribe = this.bus.subscribe(changesSubject(this.namespace), (message) => {
      const change = message as Partial<Change> | null;
      if (!change || change.origin === this.nodeId || typeof change.name !== 'string') return;
      const handler = change.kind === 'function' || change.kind === 'triggers' || change.kind === 'workflow' ? handlers[change.kind] : undefined;
      if (!handler) return;
      Promise.resolve()
        .then(() => handler(change.name as string))
        .catch((e: unknown) => this.onError(e, `applying a ${change.kind} change of ${change.name} from node ${change.origin}`));
    });
  }

  /** Announces a change made here (after the store has it). */
  announce = (kind: ChangeKind, name: string): void => {
    const key = `${kind}\0${name}`;
    if (this.pending.has(key)) return;
    this.pending.set(key, { kind, name, origin: this.nodeId });
    queueMicrotask(() => {
      const change = this.pending.get(key);
      this.pending.delete(key);
      if (change) this.bus.publish(changesSubject(this.namespace), change).catch((e: unknown) => this.onError(e, 'announcing a change'));
    });
  };

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}
