/**
 * A small HTTP server outside the platform that functions report to, so a test can
 * count what really ran (by invocation id) across kills and restarts of the platform.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Platform flags that let functions reach a sink: it listens on loopback, which egress refuses by default. */
export const SINK_ALLOWED: readonly string[] = ['--egress-allow', '127.0.0.1'];

export interface Sink {
  readonly url: string;
  close(): void;
}

export async function startSink(onReport: (report: Record<string, unknown>) => void): Promise<Sink> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      onReport(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(200).end('ok');
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}
