/**
 * What the dispatcher asks of observability around one invocation: a trace span (it goes
 * to the instance with the invocation's meta, so its outbound fetch and the async work it
 * submits carry `traceparent`), and its CPU, memory and occupancy figures (attribution.ts).
 *
 * Why in the meta and not in a map of running invocations here (the log collector's, as it
 * was): with the span held by the log collector's entries, ~200 bytes a request outlived
 * two scavenges (--trace-gc-nvp, 8k req/s, three fresh servers each), against ~60 held by
 * the meta: ~0.5 µs a request more of scavenging on the main thread. Why the entries keep
 * it longer is not understood (V8's allocation-site pretenuring is the suspect).
 */
import type { HttpRequestData, Instance, InvocationTrace, OutboundFetch } from '../runtime/port.ts';
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

  constructor(monotonic: () => number) {
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

  /**
   * Wraps the host's outbound fetch: adds `traceparent` (the invocation's own span as the
   * parent; formatted only now) unless the function set one.
   */
  wrapFetch(fetch: OutboundFetch): OutboundFetch {
    return (request, invocationId, trace?: InvocationTrace) => {
      if (trace === undefined || request.headers.some(([k]) => k.toLowerCase() === 'traceparent')) return fetch(request, invocationId, trace);
      return fetch({ ...request, headers: [...request.headers, ['traceparent', formatTraceparent(trace)]] }, invocationId, trace);
    };
  }
}
