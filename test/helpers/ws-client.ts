/**
 * A WebSocket client for the e2e tests: the upgrade's headers and invocation id, messages
 * awaited one by one (next), and the close as a promise.
 */
import { WebSocket } from 'ws';

export interface OpenSocket {
  ws: WebSocket;
  invocationId: string;
  headers: Record<string, unknown>;
  next(): Promise<{ data: Buffer; binary: boolean }>;
  closed: Promise<{ code: number; reason: string }>;
}

export function open(url: string, protocols: string[] = [], headers: Record<string, string> = {}): Promise<OpenSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers });
    const messages: Array<{ data: Buffer; binary: boolean }> = [];
    let waiter: (() => void) | null = null;
    let upgrade: Record<string, unknown> = {};
    ws.on('upgrade', (res) => (upgrade = res.headers));
    ws.on('message', (data, binary) => {
      messages.push({ data: data as Buffer, binary });
      waiter?.();
    });
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.on('error', reject);
    ws.on('open', () =>
      resolve({
        ws,
        invocationId: String(upgrade['x-nimbus-invocation-id'] ?? ''),
        headers: upgrade,
        closed,
        next: async () => {
          while (messages.length === 0) await new Promise<void>((r) => (waiter = r));
          return messages.shift()!;
        },
      }),
    );
  });
}
