/** One NATS connection from `--bus` URLs (comma-separated, `nats://user:password@host:port`), for the bus and the topic log. */
import { connect, type NatsConnection } from 'nats';
import { NimbusError } from '../../core/errors.ts';

/** The URL without its password, for messages. */
export function redactBusUrl(url: string): string {
  return url.replace(/:[^:@/]*@/, ':***@');
}

/** Connects to NATS at `urls`; NIMBUS_ERR_BUS_UNAVAILABLE when none answers within timeoutMs. Reconnects by itself afterwards. */
export async function connectNats(urls: string, timeoutMs: number, name = 'nimbus'): Promise<NatsConnection> {
  const servers = urls.split(',').map((u) => u.trim());
  try {
    const first = new URL(servers[0]);
    return await connect({
      servers: servers.map((s) => {
        const u = new URL(s);
        return `${u.hostname.includes(':') ? `[${u.hostname}]` : u.hostname}:${u.port || '4222'}`;
      }),
      ...(first.username ? { user: decodeURIComponent(first.username), pass: decodeURIComponent(first.password) } : {}),
      timeout: timeoutMs,
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
  } catch (error) {
    throw new NimbusError('NIMBUS_ERR_BUS_UNAVAILABLE', `cannot reach NATS at ${redactBusUrl(urls)}: ${(error as Error).message}; start it or fix --bus (NIMBUS_BUS)`, {
      cause: error,
    });
  }
}
