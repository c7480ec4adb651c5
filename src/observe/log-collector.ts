/**
 * Console output per invocation, gathered as the instance writes it (so a timeout or
 * crash keeps what was written before), capped in bytes with a visible marker. An open
 * invocation's entry also keeps its trace context (observer.ts reads it for outbound
 * calls): one map of running invocations, not one per concern, each costing a request an
 * insert, a delete and the map's rehashing.
 */
import type { Clock } from '../core/clock.ts';
import type { LogLevel, LogLine } from '../core/types.ts';
import type { TraceContext } from './trace.ts';

interface Buffer_ {
  lines: LogLine[];
  bytes: number;
  truncated: boolean;
}

export interface CollectedLogs {
  readonly logs: LogLine[];
  readonly truncated: boolean;
}

export type LogListener = (functionName: string, invocationId: string, line: LogLine) => void;

export class LogCollector {
  private readonly open_ = new Map<string, Buffer_ & { functionName: string; trace: TraceContext | undefined }>();
  private readonly listeners = new Set<LogListener>();

  constructor(
    private readonly limitBytes: number,
    private readonly clock: Clock,
  ) {}

  /** `trace`: the invocation's span, kept while it is open (traceOf). */
  open(invocationId: string, functionName: string, trace?: TraceContext): void {
    this.open_.set(invocationId, { lines: [], bytes: 0, truncated: false, functionName, trace });
  }

  /** The trace context an open invocation was given. */
  traceOf(invocationId: string): TraceContext | undefined {
    return this.open_.get(invocationId)?.trace;
  }

  /** Lines for invocations that already finished (e.g. from late timers) are dropped. */
  append(invocationId: string, level: LogLevel, msg: string): void {
    const buf = this.open_.get(invocationId);
    if (!buf || buf.truncated) return;
    const t = this.clock.now();
    if (buf.bytes + msg.length > this.limitBytes) {
      buf.truncated = true;
      const marker: LogLine = { t, level: 'warn', msg: `[nimbus] log output truncated: this invocation wrote more than ${this.limitBytes} bytes` };
      buf.lines.push(marker);
      this.emit(buf.functionName, invocationId, marker);
      return;
    }
    const line: LogLine = { t, level, msg };
    buf.bytes += msg.length;
    buf.lines.push(line);
    this.emit(buf.functionName, invocationId, line);
  }

  /** What an invocation has written so far, leaving it open for more. */
  peek(invocationId: string): CollectedLogs {
    const buf = this.open_.get(invocationId);
    return buf ? { logs: [...buf.lines], truncated: buf.truncated } : { logs: [], truncated: false };
  }

  close(invocationId: string): CollectedLogs {
    const buf = this.open_.get(invocationId);
    this.open_.delete(invocationId);
    return buf ? { logs: buf.lines, truncated: buf.truncated } : { logs: [], truncated: false };
  }

  /** Live tail; returns the unsubscribe function. */
  subscribe(listener: LogListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(functionName: string, invocationId: string, line: LogLine): void {
    for (const l of this.listeners) l(functionName, invocationId, line);
  }
}
