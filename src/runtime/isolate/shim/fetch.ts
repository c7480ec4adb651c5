/** Outbound fetch: the host performs the request (spec.fetch); a request body is sent whole, a response body may arrive as a stream. */
import { OP_FETCH } from '../protocol.ts';
import { type AbortSignal } from './abort.ts';
import { Request, Response, bytesOf, type RequestInit } from './body.ts';
import { hostCall } from './calls.ts';
import { fromHost } from './host-streams.ts';
import { currentInvocation } from './state.ts';
import { exactBuffer } from './encoding.ts';

export async function fetch(input: unknown, init?: RequestInit): Promise<Response> {
  const req = input instanceof Request && init === undefined ? input : new Request(input, init);
  const signal: AbortSignal | null | undefined = init?.signal ?? (input instanceof Request ? input.signal : undefined);
  signal?.throwIfAborted();
  const body = req._body === null ? null : exactBuffer(await bytesOf(req._take()));
  const inv = currentInvocation();
  const call = hostCall(OP_FETCH, req.method, req.url, req._wireHeaders(), body).then(
    (value) => {
      const [status, statusText, wire, bytes, url, streamId] = value as [number, string, string, ArrayBuffer | null, string, number];
      return Response._incoming(status, statusText, wire, streamId > 0 ? fromHost(streamId, inv) : bytes, url);
    },
    (message) => {
      throw new TypeError('fetch failed', { cause: new Error(String(message)) });
    },
  );
  if (!signal) return call;
  return new Promise<Response>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    call.then(
      (r) => {
        signal.removeEventListener('abort', onAbort);
        resolve(r);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
