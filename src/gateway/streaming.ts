/**
 * Streamed bodies at the front door. An upload the gateway does not buffer (chunked, or
 * longer than it buffers) becomes a ByteStream the function reads as it arrives, the
 * socket paused whenever the function is not reading. A streamed response goes out with
 * chunked transfer as the function produces it: its head at once, each chunk as it
 * comes, the next one read only once the socket has taken the last (backpressure), and a
 * client that goes away cancels it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NimbusError, isNimbusError } from '../core/errors.ts';
import type { ByteStream, HttpResponseData } from '../runtime/port.ts';
import { ReadableBytes } from '../runtime/readable-bytes.ts';

/** Uploads up to this size with a declared length are buffered (the common small JSON body); longer and chunked ones stream. */
export const BUFFER_UPLOADS_UP_TO = 64 * 1024;

/** True when the request's body should reach the function as a stream. */
export function streamsUpload(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const declared = Number(req.headers['content-length'] ?? 0);
  return declared > BUFFER_UPLOADS_UP_TO;
}

/** A request body as a ByteStream: paused until read, bounded by the payload limit; what the function leaves unread is drained. */
export class UploadStream extends ReadableBytes {
  constructor(req: IncomingMessage, limitBytes: number) {
    super(req, {
      limitBytes,
      overLimit: () => new NimbusError('NIMBUS_ERR_PAYLOAD_TOO_LARGE', `the request body exceeds the ${limitBytes}-byte limit`, { extra: { limit: limitBytes } }),
      failed: (error) => new NimbusError('NIMBUS_ERR_BAD_REQUEST', `reading the request body failed: ${error.message}`),
      rest: 'drain',
    });
    req.on('close', () => {
      if (!req.complete) this.fail(new NimbusError('NIMBUS_ERR_CLIENT_CLOSED', 'the client closed the connection before the request body ended'));
    });
  }
}

/**
 * Writes a streamed response: head now (flushed, so an SSE client sees it at once), then
 * each chunk. Resolves once all was written; rejects with NIMBUS_ERR_CLIENT_CLOSED when the
 * client went away (the stream cancelled), or with the stream's own failure (the
 * connection then closes without the last chunk, so the client sees the body incomplete).
 * `head` is writeHead's flat header list; no body is written for HEAD, 204 and 304.
 */
export function sendStream(res: ServerResponse, http: HttpResponseData, head: string[], withBody: boolean): Promise<void> {
  const stream = http.stream as ByteStream;
  try {
    res.writeHead(http.status, http.statusText || undefined, head);
  } catch (error) {
    res.statusMessage = '';
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    const bad = new NimbusError('NIMBUS_ERR_BAD_RESPONSE', `the function's response head cannot be sent: ${(error as Error).message}`);
    stream.cancel(bad);
    return Promise.reject(bad);
  }
  res.flushHeaders();
  return new Promise((resolve, reject) => {
    let over = false;
    let drained: (() => void) | null = null;
    const finish = (error: NimbusError | null) => {
      if (over) return;
      over = true;
      res.off('close', onClose);
      if (error === null) resolve();
      else reject(error);
    };
    const onClose = () => {
      drained?.();
      if (res.writableFinished) return;
      const error = new NimbusError('NIMBUS_ERR_CLIENT_CLOSED', 'the client closed the connection before the streamed response ended');
      stream.cancel(error);
      finish(error);
    };
    res.on('close', onClose);
    const pump = async () => {
      for (;;) {
        const chunk = await stream.read();
        if (over) return;
        if (chunk === null) {
          res.end(() => finish(null));
          return;
        }
        // the body of a HEAD, 204 or 304 is read (the function produced it) and dropped
        if (!withBody || res.write(chunk)) continue;
        await new Promise<void>((go) => {
          drained = go;
          res.once('drain', go);
        });
        res.off('drain', drained as () => void);
        drained = null;
        if (over) return;
      }
    };
    pump().catch((error: unknown) => {
      if (over) return;
      res.destroy();
      finish(isNimbusError(error) ? error : new NimbusError('NIMBUS_ERR_INTERNAL', `streaming the response failed: ${(error as Error)?.message ?? String(error)}`));
    });
  });
}
