/**
 * The host side of a function's outbound `fetch`: the runtime hands over a request (its
 * body buffered, or a stream sent as it is produced), the host performs it with undici and hands back the response as soon as its
 * head has arrived: a body of known small length buffered, any other as a ByteStream the
 * function reads as it arrives (so a function can proxy a streamed answer), bounded in
 * size and time. Where it may connect is the egress guard's call (egress-guard.ts).
 */
import type { Response } from 'undici';
import { isNimbusError, NimbusError } from '../core/errors.ts';
import type { EgressGuard } from './egress-guard.ts';
import type { ByteStream, HttpRequestData, HttpResponseData, OutboundFetch } from './port.ts';
import { chunksOf } from './readable-bytes.ts';

/** Answers up to this length (declared) are read whole before the function sees them: the common small JSON. */
const BUFFER_UP_TO = 64 * 1024;

export interface EgressOptions {
  readonly guard: EgressGuard;
  readonly payloadLimitBytes: number;
  /** Upper bound of one outbound request; the function's own timeout usually ends it first. */
  readonly timeoutMs?: number;
}

const FORBIDDEN_REQUEST_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade']);

export function createOutboundFetch(options: EgressOptions): OutboundFetch {
  const timeoutMs = options.timeoutMs ?? 900_000;
  const { guard } = options;
  return async (request: HttpRequestData): Promise<HttpResponseData> => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      throw new NimbusError('NIMBUS_ERR_UPSTREAM', `fetch: invalid URL ${request.url}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new NimbusError('NIMBUS_ERR_UPSTREAM', `fetch: only http and https URLs are supported, not ${url.protocol}`);
    }
    const headers: Array<[string, string]> = [];
    for (const [k, v] of request.headers) if (!FORBIDDEN_REQUEST_HEADERS.has(k.toLowerCase())) headers.push([k, v]);
    let res: Response;
    try {
      const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
      res = await guard.fetch(url, {
        method: request.method,
        headers,
        ...(hasBody && request.stream !== undefined
          ? { body: chunksOf(request.stream), duplex: 'half' }
          : { body: hasBody && request.body ? request.body : undefined }),
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      } as Parameters<EgressGuard['fetch']>[1]);
    } catch (error) {
      request.stream?.cancel(new NimbusError('NIMBUS_ERR_UPSTREAM', `fetch ${url.origin} failed`));
      if (isNimbusError(error)) throw error; // refused by the guard
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new NimbusError('NIMBUS_ERR_UPSTREAM', `fetch ${url.origin} failed: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
    const outHeaders: Array<[string, string]> = [];
    res.headers.forEach((v, k) => outHeaders.push([k, v]));
    const declared = res.headers.get('content-length');
    if (res.body && (declared === null || Number(declared) > BUFFER_UP_TO)) {
      return { status: res.status, statusText: res.statusText, headers: outHeaders, body: new Uint8Array(0), stream: upstreamStream(res.body, url, options.payloadLimitBytes) };
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (res.body) {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength;
        if (size > options.payloadLimitBytes) {
          throw new NimbusError('NIMBUS_ERR_UPSTREAM', `fetch ${url.origin}: the response exceeds ${options.payloadLimitBytes} bytes`);
        }
        chunks.push(chunk);
      }
    }
    const body = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      body.set(c, at);
      at += c.byteLength;
    }
    return { status: res.status, statusText: res.statusText, headers: outHeaders, body };
  };
}

/** An upstream body as a ByteStream, bounded by the payload limit; cancelling it aborts the upstream. */
function upstreamStream(body: ReadableStream<Uint8Array>, url: URL, limitBytes: number): ByteStream {
  const reader = body.getReader();
  let size = 0;
  let over = false;
  return {
    async read() {
      if (over) return null;
      let r: Awaited<ReturnType<typeof reader.read>>;
      try {
        r = await reader.read();
      } catch (error) {
        over = true;
        const cause = (error as { cause?: { code?: string } }).cause;
        throw new NimbusError('NIMBUS_ERR_UPSTREAM', `fetch ${url.origin}: reading the response failed: ${cause?.code ?? (error as Error).message}`);
      }
      if (r.done) {
        over = true;
        return null;
      }
      size += r.value.byteLength;
      if (size > limitBytes) {
        over = true;
        reader.cancel().catch(() => undefined);
        throw new NimbusError('NIMBUS_ERR_UPSTREAM', `fetch ${url.origin}: the response exceeds ${limitBytes} bytes`);
      }
      return r.value;
    },
    cancel() {
      if (over) return;
      over = true;
      reader.cancel().catch(() => undefined);
    },
  };
}

/**
 * A `fetch` for requests the platform makes on user code's behalf (a workflow's HTTP task,
 * whose URL may come from state data): same guard as a function's own fetch; a refusal
 * rejects with NIMBUS_ERR_EGRESS_DENIED.
 */
export function createGuardedFetch(guard: EgressGuard): typeof globalThis.fetch {
  return async (input, init) =>
    (await guard.fetch(new URL(input instanceof Request ? input.url : String(input)), (init ?? {}) as object)) as unknown as globalThis.Response;
}
