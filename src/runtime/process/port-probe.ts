/** A loopback port for a new instance, and whether an instance answers on it yet. */
import { createServer, type Socket } from 'node:net';
import type { Pool } from 'undici';

/** A port the kernel has just handed out and released (another process could take it first; the start then fails and is retried by the pool). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** TCP: `dial` (a connection to the app's port) succeeds. HTTP (a readiness path): it answers 2xx or 3xx. */
export function portAnswers(dial: () => Promise<Socket>, readinessPath: string | undefined, pool: Pool): Promise<boolean> {
  if (readinessPath !== undefined) {
    return pool
      .request({ method: 'GET', path: readinessPath, headersTimeout: 2000, bodyTimeout: 2000 })
      .then(async (res) => {
        await res.body.dump();
        return res.statusCode >= 200 && res.statusCode < 400;
      })
      .catch(() => false);
  }
  return dial().then(
    (socket) => (socket.destroy(), true),
    () => false,
  );
}
