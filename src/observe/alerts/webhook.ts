/**
 * Delivers alert events to a webhook: POST JSON, retried with exponential backoff (1 s,
 * 2 s, 4 s, … up to `attempts`) on a network error or a non-2xx answer. Time is a Clock.
 */
import type { Clock } from '../../core/clock.ts';

export type Post = (url: string, body: string) => Promise<number>;

export interface WebhookOptions {
  readonly clock: Clock;
  readonly url: string;
  readonly post: Post;
  readonly attempts?: number;
  readonly firstDelayMs?: number;
  readonly onDelivered?: (id: string) => void;
  readonly onGaveUp?: (id: string, lastError: string) => void;
}

export class WebhookSender {
  private inFlight = 0;
  constructor(private readonly o: WebhookOptions) {}

  send(id: string, payload: unknown): void {
    const body = JSON.stringify(payload);
    const attempts = this.o.attempts ?? 5;
    const first = this.o.firstDelayMs ?? 1000;
    const tryOnce = (n: number) => {
      this.inFlight++;
      this.o.post(this.o.url, body).then(
        (status) => done(n, status >= 200 && status < 300 ? null : `HTTP ${status}`),
        (error: unknown) => done(n, (error as Error)?.message ?? String(error)),
      );
    };
    const done = (n: number, error: string | null) => {
      this.inFlight--;
      if (error === null) return this.o.onDelivered?.(id);
      if (n + 1 >= attempts) return this.o.onGaveUp?.(id, error);
      this.o.clock.setTimer(first * 2 ** n, () => tryOnce(n + 1));
    };
    tryOnce(0);
  }

  pending(): number {
    return this.inFlight;
  }
}

/** Node's fetch, bounded in time; only 127.0.0.1 in tests. */
export const fetchPost: Post = async (url, body) => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(10_000), redirect: 'manual' });
  await res.arrayBuffer().catch(() => undefined);
  return res.status;
};
