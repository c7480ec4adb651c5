/**
 * The platform's side of an app instance's connector (connector/connector.mjs): the IPC
 * channel to the first process in the app's network namespace. `dial()` asks it for a
 * connection to the app's port and resolves with that socket (its descriptor passed over
 * the channel): the instance's undici pool uses it as its `connect`, and then talks to
 * the app directly. Connections the app opens to its proxy arrive as `onOutbound`.
 * What comes over the channel is not trusted: only an answer to a dial this side asked
 * for is taken, and anything else (or any other handle) is closed.
 */
import type { ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import { NimbusError } from '../../core/errors.ts';

type FromConnector = { t: 'dialed'; id: number } | { t: 'dial-failed'; id: number; code: string } | { t: 'out' };

interface Dial {
  resolve(socket: Socket): void;
  reject(error: Error): void;
}

export class ConnectorLink {
  private readonly dials = new Map<number, Dial>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly child: ChildProcess,
    private readonly onOutbound: (socket: Socket) => void,
  ) {
    child.on('message', (m: unknown, handle: unknown) => this.onMessage(m as FromConnector, handle));
    child.once('exit', () => this.close());
    child.once('disconnect', () => this.close());
  }

  /** A connection to the app's port inside its namespace; rejects when the app does not accept it. */
  dial(): Promise<Socket> {
    if (this.closed || !this.child.connected) return Promise.reject(Object.assign(new Error('the app instance has stopped'), { code: 'ECONNREFUSED' }));
    const id = this.nextId++;
    return new Promise<Socket>((resolve, reject) => {
      this.dials.set(id, { resolve, reject });
      this.child.send({ t: 'dial', id }, (error) => {
        if (error && this.dials.delete(id)) reject(error);
      });
    });
  }

  private onMessage(m: FromConnector, handle: unknown): void {
    const socket = handle instanceof Socket ? handle : null;
    if (m?.t === 'out' && socket && !this.closed) return this.onOutbound(socket);
    const dial = typeof (m as { id?: unknown })?.id === 'number' ? this.dials.get((m as { id: number }).id) : undefined;
    if (dial && m.t === 'dialed' && socket) {
      this.dials.delete(m.id);
      // As undici's own connector does: requests are written whole, so Nagle only delays them.
      socket.setNoDelay(true);
      return dial.resolve(socket);
    }
    if (dial && m.t === 'dial-failed') {
      this.dials.delete(m.id);
      dial.reject(Object.assign(new Error(`the app did not accept a connection (${String(m.code).slice(0, 40)})`), { code: 'ECONNREFUSED' }));
    }
    // Not asked for, or malformed: its handle is not used.
    if (socket) socket.destroy();
    else (handle as { close?: () => void } | undefined)?.close?.();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const error = new NimbusError('NIMBUS_ERR_INSTANCE_CRASHED', 'the app instance stopped');
    for (const d of this.dials.values()) d.reject(error);
    this.dials.clear();
  }
}
