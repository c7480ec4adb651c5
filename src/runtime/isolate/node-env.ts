/**
 * The host side of the Node layer's start: a bundle that uses the layer ends with
 * NODE_LAYER_MARK (the bundler adds it), and only then, before its top level runs, is the
 * isolate given the function's env (`__nimbus_node_env`, which process.ts takes) and one
 * synchronous host call (`__nimbus_node_host`, which host.ts takes): crypto and zlib work
 * (node-host.ts; the hashes and ciphers it keeps per instance, node-digests.ts and
 * node-ciphers.ts) and the instance's sockets (node-sockets.ts), whose events come back
 * as entries of the instance (`deliver`: IN_NODE_SOCKET, run as their owner, watched for
 * CPU as every entry is) to a function the layer registers; and a second door for the heavy crypto and
 * zlib work (`__nimbus_node_pool`): a Reference the isolate calls with applySyncPromise, so
 * its thread waits while the work runs on libuv's pool behind the shared gates, and the
 * platform's main thread does not. Other bundles pay nothing. A bundle built against the
 * shared layer (deploy/node-layer-shared.ts) gets the same through the layer's `bind`, which
 * the spare holds, instead of globals.
 */
import ivm from 'isolated-vm';
import type { LayerKind } from '../../deploy/node-layer-shared.ts';
import type { OutboundConnect, OutboundLookup, OutboundResolve, SocketUsage } from '../port.ts';
import { HOST_GATE } from './crypto-host.ts';
import { inputBytesOf } from './crypto-pool.ts';
import { NodeCiphers } from './node-ciphers.ts';
import { NodeDigests } from './node-digests.ts';
import { nodeHostCall, nodeHostWork, OP_CIPHER_PARTS, OP_DIGEST, OP_ZLIB, POOL_OPS } from './node-host.ts';
import { ZLIB_GATE } from './zlib-host.ts';
import { NodeSockets } from './node-sockets.ts';

export const NODE_LAYER_MARK = '\n//# nimbus-node-layer\n';
const ENV_GLOBAL = '__nimbus_node_env';
const HOST_GLOBAL = '__nimbus_node_host';
const POOL_GLOBAL = '__nimbus_node_pool';
const FIRST_SOCKET_OP = 20;

/** A bundle built against a shared layer ends with this, the layer's kind and contract (`v1`), then a newline. */
const SHARED_MARK = '\n//# nimbus-node-layer-shared ';
/**
 * What a bundle built against a shared layer relies on: the registry's module names and their
 * export names, `bind` and the files call (deploy/node-layer-shared.ts, which says when to bump it).
 */
export const LAYER_CONTRACT = 1;
/** What such a bundle calls first, with its /bundle files (node-layer-shared.ts). */
export const SHARED_FILES_CALL = '__nimbus_node_files';

/**
 * Before the mark, on a line of its own, when the bundle needs only a smaller tier of the layer
 * of its kind (the core, or the core with crypto and zlib). The mark itself then names the whole
 * layer's kind, which holds every tier: a platform that knows no tiers starts such a bundle on
 * the whole layer, and one that knows only the core tier reads the crypto line as no core line.
 */
const TIER_MARKS = { core: '\n//# nimbus-node-layer-core', crypto: '\n//# nimbus-node-layer-crypto' } as const;

export function sharedLayerMark(kind: LayerKind): string {
  const tier = (Object.keys(TIER_MARKS) as Array<keyof typeof TIER_MARKS>).find((t) => kind.endsWith(`-${t}`));
  const whole = tier === undefined ? kind : kind.slice(0, -(tier.length + 1));
  return `${tier === undefined ? '' : TIER_MARKS[tier]}${SHARED_MARK}${whole} v${LAYER_CONTRACT}\n`;
}

/** The shared layer a bundle was built against, or null when it carries its own (or none). */
export function sharedLayerOf(code: string): { readonly kind: LayerKind; readonly contract: number } | null {
  if (!code.endsWith('\n')) return null;
  const at = code.lastIndexOf(SHARED_MARK);
  if (at < 0) return null;
  const found = /^(node|node-async) v([0-9]{1,6})$/.exec(code.slice(at + SHARED_MARK.length, -1));
  if (found === null) return null;
  const before = code.slice(0, at);
  const tier = (Object.keys(TIER_MARKS) as Array<keyof typeof TIER_MARKS>).find((t) => before.endsWith(TIER_MARKS[t]));
  return { kind: `${found[1]}${tier === undefined ? '' : `-${tier}`}` as LayerKind, contract: Number(found[2]) };
}

export function usesNodeLayer(code: string): boolean {
  return code.endsWith(NODE_LAYER_MARK) || sharedLayerOf(code) !== null;
}

export interface NodeLayerHost {
  readonly connect?: OutboundConnect;
  readonly lookup?: OutboundLookup;
  readonly resolve?: OutboundResolve;
  /** The counter of the invocation whose code runs now, if it has one. */
  readonly usage?: () => SocketUsage | null;
  /** The number of the invocation whose code runs now (0: none). */
  readonly running: () => number;
  /** Sends a socket or lookup event into the isolate, to run as invocation `owner` (0: none). */
  readonly deliver: (id: number, event: string, data: unknown, owner: number) => void;
  /** Charges host work (ms) to the invocation whose code runs now: called when a pooled call starts, the function it returns when its work ends. */
  readonly charge?: () => (ms: number) => void;
  /** Settles when the isolate is gone: its sockets are closed then. */
  readonly gone: Promise<void>;
}

/** The shared layer's `bind(env, call, pool)` in a spare of kind `node`; it returns the socket events' receiver. */
export type LayerBind = ivm.Reference<(env: unknown, call: unknown, pool: unknown) => unknown>;

/**
 * The error the isolate gets for a failed host call: its class and message only. isolated-vm
 * copies an error's stack into the isolate, and the host's stack names the platform's files
 * (where it is installed) and its internals, which are not the function's to read.
 */
export function withoutHostStack(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const Class = error instanceof RangeError ? RangeError : error instanceof TypeError ? TypeError : Error;
  const bare = new Class(error.message);
  bare.stack = `${bare.name}: ${bare.message}`;
  return bare;
}

/** `bind`: the isolate holds the shared layer (the bundle is built against it), evaluated already. */
export function giveNodeEnv(context: ivm.Context, code: string, env: Readonly<Record<string, string>>, host: NodeLayerHost, bind?: LayerBind): NodeSockets | null {
  if (!usesNodeLayer(code)) return null;
  const sockets = new NodeSockets(host.connect, host.lookup, host.deliver, host.usage, host.resolve, host.running);
  const digests = new NodeDigests();
  const ciphers = new NodeCiphers();
  const call = new ivm.Callback((op: unknown, a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown, g: unknown, h: unknown) => {
    try {
      return typeof op === 'number' && op >= FIRST_SOCKET_OP
        ? sockets.call(op, a, b, c, d, e)
        : op === OP_DIGEST
          ? digests.call(a, b, c, d)
          : op === OP_CIPHER_PARTS
            ? ciphers.call(a, b, c, d)
            : nodeHostCall(op, a, b, c, d, e, f, g, h);
    } catch (error) {
      throw withoutHostStack(error);
    }
  });
  // owner of this instance's place in the gates' queues (dropped when it is gone)
  const owner = {};
  const pool = new ivm.Reference((op: unknown, a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown) =>
    poolWork(op, a, b, c, d, e, f).catch((error: unknown) => Promise.reject(withoutHostStack(error))),
  );
  const poolWork = (op: unknown, a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown): Promise<ivm.ExternalCopy<unknown>> => {
    if (typeof op !== 'number' || !POOL_OPS.has(op)) return Promise.reject(new Error('this operation does not run on the thread pool'));
    const charge = host.charge?.();
    return (op === OP_ZLIB ? ZLIB_GATE : HOST_GATE).run(owner, async () => {
      const started = performance.now();
      try {
        // applySyncPromise takes no result options: the answer crosses as a copy the isolate takes
        return new ivm.ExternalCopy(await nodeHostWork(op, a, b, c, d, e, f));
      } finally {
        charge?.(performance.now() - started);
      }
    }, inputBytesOf([a, b, c, d, e, f]));
  };
  // Not evalClosureSync: the main thread would wait for the isolate's thread on every cold start. The isolate runs its tasks in order, so these globals are there before the
  // bundle's top level (run next by the caller) reads them.
  // The shared layer's bind returns a receiver for socket events (its contract): unused, as
  // events come in through the shim, which runs each as its owner.
  if (bind !== undefined) {
    void bind.apply(undefined, [{ ...env }, call, pool], { arguments: { copy: true }, result: { reference: true } }).then(
      (receiver) => (receiver as ivm.Reference<unknown>).release(),
      () => undefined, // the isolate went first
    );
  } else {
    void context.evalClosure(
      `for (const [k, v] of [['${ENV_GLOBAL}', $0], ['${HOST_GLOBAL}', $1], ['${POOL_GLOBAL}', $2]]) Object.defineProperty(globalThis, k, { value: v, configurable: true, writable: true, enumerable: false });`,
      [{ ...env }, call, pool],
      { arguments: { copy: true } },
    ).catch(() => undefined); // the isolate went first
  }
  void host.gone.then(() => {
    HOST_GATE.cancel(owner);
    ZLIB_GATE.cancel(owner);
    pool.release();
    digests.closeAll();
    ciphers.closeAll();
    sockets.closeAll();
  });
  return sockets;
}
