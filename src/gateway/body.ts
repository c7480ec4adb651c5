/**
 * Reads a request body with a hard byte limit: a declared Content-Length over the
 * limit is refused before reading, and a chunked body is cut off the moment it
 * passes the limit, so an oversize upload never sits in memory.
 */
import type { IncomingMessage } from 'node:http';
import { NimbusError } from '../core/errors.ts';

const NO_BODY = new Set(['GET', 'HEAD']);

/** True when the request carries no body at all (a GET or HEAD without length or chunking): no need to wait for one. */
export function isBodiless(req: IncomingMessage): boolean {
  return NO_BODY.has(req.method ?? 'GET') && req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined;
}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    req.resume();
    return Promise.reject(tooLarge(limit));
  }
  if (NO_BODY.has(req.method ?? 'GET') && declared === undefined && req.headers['transfer-encoding'] === undefined) {
    req.resume();
    return Promise.resolve(null);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(size === 0 && declared === undefined ? null : Buffer.concat(chunks, size));
    });
    req.on('error', (error) => {
      if (!failed) reject(new NimbusError('NIMBUS_ERR_BAD_REQUEST', `reading the request body failed: ${error.message}`));
    });
  });
}

function tooLarge(limit: number): NimbusError {
  return new NimbusError('NIMBUS_ERR_PAYLOAD_TOO_LARGE', `the request body exceeds the ${limit}-byte limit`, { extra: { limit } });
}
