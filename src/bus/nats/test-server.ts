/** Where the NATS tests find a server (NIMBUS_TEST_NATS, default nats://127.0.0.1:4222), and the one line they skip with when none answers. */
import { createConnection } from 'node:net';

export const TEST_NATS = process.env.NIMBUS_TEST_NATS ?? 'nats://127.0.0.1:4222';

export async function natsSkipReason(): Promise<string | null> {
  const u = new URL(TEST_NATS.split(',')[0]);
  const ok = await new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: u.hostname, port: Number(u.port || 4222), timeout: 1_000 });
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString('utf8').startsWith('INFO'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
  return ok ? null : `needs NATS at ${u.host} (NIMBUS_TEST_NATS)`;
}
