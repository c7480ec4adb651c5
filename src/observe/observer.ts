/**
 * What the dispatcher asks of observability around one invocation: a trace span (kept by
 * the log collector with the invocation's logs while it runs, so its outbound fetch and the
 * async work it submits carry `traceparent`), and its CPU, memory and occupancy figures
 * (attribution.ts).
 */
import type { HttpRequestData, Instance, OutboundFetch } from '../runtime/port.ts';
import { InstanceMeter, NO_FIGURES, type InvocationFigures, type Share } from './attribution.ts';
import { formatTraceparent, hexIds, startSpan, type TraceContext } from './trace.ts';

export interface TraceSource {
  readonly traceparent?: string;
  readonly input: { readonly kind: 'http'; readonly request: HttpRequestData } | { readonly kind: 'event' };
}

/** An invocation being measured: what begin() returns and end() takes back. */
export type Measuring = Share;

export interface DispatchObserver {
  open(req: TraceSource): TraceContext;
  /** `now`: the dispatcher's monotonic reading as the call went to the instance. */
  begin(instance: Instance, now: number): Measuring;
  /** `measuring` is null when the invocation never reached an instance; `now` as for begin, once it ended. */
  end(measuring: Measuring | null, now: number): InvocationFigures;
}

export class InvocationObserver implements DispatchObserver {
  readonly meter: InstanceMeter;
  private readonly ids = hexIds();

  /** `traceOf`: the span of a running invocation (LogCollector.traceOf); its traceparent is formatted only when asked for. */
  constructor(
    monotonic: () => number,
    private readonly traceOf: (invocationId: string) => TraceContext | undefined,
  ) {
    this.meter = new InstanceMeter(monotonic);
  }

  open(req: TraceSource): TraceContext {
    let incoming = req.traceparent;
    if (incoming === undefined && req.input.kind === 'http') {
      for (const [k, v] of req.input.request.headers) {
        if (k.length === 11 && k.toLowerCase() === 'traceparent') {
          incoming = v;
          break;
        }
      }
    }
    return startSpan(incoming, this.ids);
  }

  begin(instance: Instance, now: number): Measuring {
    return this.meter.begin(instance, now);
  }

  end(measuring: Measuring | null, now: number): InvocationFigures {
    return measuring ? this.meter.end(measuring, now) : NO_FIGURES;
  }

  /** The traceparent a running invocation's outbound calls carry (its own span as parent). */
  traceparentOf(invocationId: string): string | undefined {
    const ctx = this.traceOf(invocationId);
    return ctx === undefined ? undefined : formatTraceparent(ctx);
  }

  /** Wraps the host's outbound fetch: adds `traceparent` unless the function set one. */
  wrapFetch(fetch: OutboundFetch): OutboundFetch {
    return (request, invocationId) => {
      const tp = this.traceparentOf(invocationId);
      if (tp === undefined || request.headers.some(([k]) => k.toLowerCase() === 'traceparent')) return fetch(request, invocationId);
      return fetch({ ...request, headers: [...request.headers, ['traceparent', tp]] }, invocationId);
    };
  }
}
