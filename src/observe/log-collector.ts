/**
 * Console output per invocation, gathered as the instance writes it (so a timeout or
 * crash keeps what was written before), capped in bytes with a visible marker.
 */
import type { Clock } from '../core/clock.ts';
import type { LogLevel, LogLine } from '../core/types.ts';

interface Buffer_ {
  /** Null until the first line: most invocations write none, and an array each would be garbage. */
  lines: LogLine[] | null;
  bytes: number;
  truncated: boolean;
  /** Hides the function's secrets in each line (releases/redact.ts); null: it has none. */
  redact: ((text: string) => string) | null;
}

export interface CollectedLogs {
  readonly logs: readonly LogLine[];
  readonly truncated: boolean;
}

const NO_LINES: readonly LogLine[] = Object.freeze([]);
/** No lines: shared, frozen. */
export const NOTHING: CollectedLogs = Object.freeze({ logs: NO_LINES, truncated: false });

export type LogListener = (functionName: string, invocationId: string, line: LogLine) => void;

type Open = Buffer_ & { functionName: string };

export class LogCollector {
  /**
   * The invocations open, by id: while one has written nothing and has no secrets to hide,
   * its function's name stands for its buffer (most never write: no object each).
   */
  private readonly open_ = new Map<string, Open | string>();
  private readonly listeners = new Set<LogListener>();
  /** Listeners that also get lines relayed from other nodes (followers, not forwarders). */
  private readonly followers = new Set<LogListener>();

  constructor(
    private readonly limitBytes: number,
    private readonly clock: Clock,
  ) {}

  /** `redact`: applied to every line before it is kept or shown to a listener. */
  open(invocationId: string, functionName: string, redact: ((text: string) => string) | null = null): void {
    this.open_.set(invocationId, redact === null ? functionName : { lines: null, bytes: 0, truncated: false, functionName, redact });
  }

  /** Lines for invocations that already finished (e.g. from late timers) are dropped. */
  append(invocationId: string, level: LogLevel, msg: string): void {
    let buf = this.open_.get(invocationId);
    if (buf === undefined) return;
    if (typeof buf === 'string') this.open_.set(invocationId, (buf = { lines: null, bytes: 0, truncated: false, functionName: buf, redact: null }));
    if (buf.truncated) return;
    if (buf.redact !== null) msg = buf.redact(msg);
    const t = this.clock.now();
    if (buf.bytes + msg.length > this.limitBytes) {
      buf.truncated = true;
      const marker: LogLine = { t, level: 'warn', msg: `[nimbus] log output truncated: this invocation wrote more than ${this.limitBytes} bytes` };
      (buf.lines ??= []).push(marker);
      this.emit(buf.functionName, invocationId, marker);
      return;
    }
    const line: LogLine = { t, level, msg };
    buf.bytes += msg.length;
    (buf.lines ??= []).push(line);
    this.emit(buf.functionName, invocationId, line);
  }

  /** What an invocation has written so far, leaving it open for more. */
  peek(invocationId: string): CollectedLogs {
    const buf = this.open_.get(invocationId);
    if (buf === undefined || typeof buf === 'string') return NOTHING;
    return { logs: buf.lines === null ? NO_LINES : [...buf.lines], truncated: buf.truncated };
  }

  close(invocationId: string): CollectedLogs {
    const buf = this.open_.get(invocationId);
    this.open_.delete(invocationId);
    if (buf === undefined || typeof buf === 'string') return NOTHING;
    return buf.lines === null && !buf.truncated ? NOTHING : { logs: buf.lines ?? NO_LINES, truncated: buf.truncated };
  }

  /**
   * Live tail; returns the unsubscribe function. A follower (the default) also gets the lines
   * other nodes relay (relay()); a forwarder (`follower` false) gets this node's lines only.
   */
  subscribe(listener: LogListener, follower = true): () => void {
    this.listeners.add(listener);
    if (follower) this.followers.add(listener);
    return () => {
      this.listeners.delete(listener);
      this.followers.delete(listener);
    };
  }

  /** How many followers tail the logs here now. */
  get followerCount(): number {
    return this.followers.size;
  }

  /** A line written on another node: shown to this node's followers, not kept. */
  relay(functionName: string, invocationId: string, line: LogLine): void {
    for (const l of this.followers) l(functionName, invocationId, line);
  }

  private emit(functionName: string, invocationId: string, line: LogLine): void {
    for (const l of this.listeners) l(functionName, invocationId, line);
  }
}
