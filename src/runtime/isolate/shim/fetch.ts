/** Outbound fetch: the host performs the request (spec.fetch); a request body is sent whole, a response body may arrive as a stream. */
import { blockedPort } from './bad-ports.ts';
import { OP_FETCH } from '../protocol.ts';
import { type AbortSignal } from './abort.ts';
import { Request, Response, bytesOf, type RequestInit } from './body.ts';
import { hostCall } from './calls.ts';
import { fromHost, toHost, type OnEnd } from './host-streams.ts';
import { send } from './bridge.ts';
import { OUT_END } from '../protocol.ts';
import { completeChunks, ReadableStream } from './streams.ts';
import type { Invocation } from './state.ts';
import { currentInvocation } from './state.ts';
import { exactBuffer } from './encoding.ts';
import { URL } from './url.ts';

/** Tells the host a streamed request body is over (or failed), so it can end the upstream request. */
function onRequestBodyEnd(inv: Invocation): OnEnd {
  return (error, _cancelled, id) => send(OUT_END, inv.seq, id, error, false);
}

export async function fetch(input: unknown, init?: RequestInit): Promise<Response> {
  const req = input instanceof Request && init === undefined ? input : new Request(input, init);
  const signal: AbortSignal | null | undefined = init?.signal ?? (input instanceof Request ? input.signal : undefined);
  signal?.throwIfAborted();
  if (blockedPort(new URL(req.url))) throw new TypeError('fetch failed', { cause: new Error(`the port of ${req.url} is a bad port (the Fetch Standard's list): no connection is tried`) });
  const inv = currentInvocation();
  // a stream not yet complete goes as it is produced (the host pulls it); any other body whole
  const taken = req._body === null ? null : req._take();
  const streaming = taken instanceof ReadableStream && completeChunks(taken) === null;
  const body: ArrayBuffer | number | null = taken === null ? null : streaming ? toHost(taken as ReadableStream, inv, onRequestBodyEnd(inv)) : exactBuffer(await bytesOf(taken));
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
