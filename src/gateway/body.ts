/**
 * Reads a request body with a hard byte limit, a deadline and a share of a platform-wide
 * budget. A declared Content-Length over the limit is refused before reading, and a
 * chunked body is cut off the moment it passes the limit, so an oversize upload never
 * sits in memory. A body that has not arrived within the body timeout once its headers
 * did is a 408, and bytes being received by all requests together are bounded by the
 * budget (a declared length is taken in full up front, so a request that cannot be
 * served is a 503 before it sends anything): slow clients cannot pin memory.
 */
import type { IncomingMessage } from 'node:http';
import type { Clock } from '../core/clock.ts';
import { NimbusError, isNimbusError } from '../core/errors.ts';

const NO_BODY = new Set(['GET', 'HEAD']);

/** Errors after which the rest of the body is never read: the connection is closed with the answer. */
const ABANDONS_BODY = new Set(['NIMBUS_ERR_REQUEST_TIMEOUT', 'NIMBUS_ERR_BODY_BUDGET']);

export function abandonsBody(error: unknown): boolean {
  return isNimbusError(error) && ABANDONS_BODY.has(error.code);
}

/** Bytes of request bodies being received, across all requests, against a ceiling. */
export class BodyBudget {
  #used = 0;
  constructor(readonly limitBytes: number) {}

  get usedBytes(): number {
    return this.#used;
  }

  tryTake(bytes: number): boolean {
    if (this.#used + bytes > this.limitBytes) return false;
    this.#used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.#used -= bytes;
  }
}

export interface BodyPolicy {
  readonly clock: Clock;
  /** How long a body may take to arrive once the request's headers have. */
  readonly timeoutMs: number;
  readonly budget: BodyBudget;
}

/** True when the request carries no body at all (a GET or HEAD without length or chunking): no need to wait for one. */
export function isBodiless(req: IncomingMessage): boolean {
  return NO_BODY.has(req.method ?? 'GET') && req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined;
}

export function readBody(req: IncomingMessage, limit: number, policy: BodyPolicy): Promise<Buffer | null> {
  const declared = req.headers['content-length'];
  const declaredBytes = declared === undefined ? 0 : Number(declared);
  if (declaredBytes > limit) {
    req.resume();
    return Promise.reject(tooLarge(limit));
  }
  if (NO_BODY.has(req.method ?? 'GET') && declared === undefined && req.headers['transfer-encoding'] === undefined) {
    req.resume();
    return Promise.resolve(null);
  }
  const { budget } = policy;
  if (!budget.tryTake(declaredBytes)) return Promise.reject(overBudget(budget));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    /** Bytes of the budget this request holds: the declared length, or what a chunked body has sent. */
    let held = declaredBytes;
    let settled = false;
    const settle = (error: NimbusError | null) => {
      if (settled) return;
      settled = true;
      timer.cancel();
      budget.give(held);
      held = 0;
      req.off('data', onData);
      if (error === null) return resolve(size === 0 && declared === undefined ? null : Buffer.concat(chunks, size));
      chunks.length = 0;
      reject(error);
    };
    const timer = policy.clock.setTimer(policy.timeoutMs, () => {
      settle(new NimbusError('NIMBUS_ERR_REQUEST_TIMEOUT', `the request body did not arrive within ${policy.timeoutMs} ms (${size} bytes came); send it faster or in one go`, { extra: { timeoutMs: policy.timeoutMs } }));
    });
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Drain what is still coming (the answer is read by the client once it has sent all).
        req.resume();
        return settle(tooLarge(limit));
      }
      if (size > held) {
        if (!budget.tryTake(size - held)) return settle(overBudget(budget));
        held = size;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => settle(null));
    req.on('error', (error) => settle(new NimbusError('NIMBUS_ERR_BAD_REQUEST', `reading the request body failed: ${error.message}`)));
    // A client that goes away mid-body: nothing more will come, and its share goes back.
    req.on('close', () => {
      if (!settled) settle(new NimbusError('NIMBUS_ERR_BAD_REQUEST', 'the client closed the connection before the request body ended'));
    });
  });
}

function tooLarge(limit: number): NimbusError {
  return new NimbusError('NIMBUS_ERR_PAYLOAD_TOO_LARGE', `the request body exceeds the ${limit}-byte limit`, { extra: { limit } });
}

function overBudget(budget: BodyBudget): NimbusError {
  return new NimbusError(
    'NIMBUS_ERR_BODY_BUDGET',
    `request bodies being received already hold ${budget.usedBytes} of the platform's ${budget.limitBytes} bytes; retry shortly`,
    { retryAfterSeconds: 1 },
  );
}
