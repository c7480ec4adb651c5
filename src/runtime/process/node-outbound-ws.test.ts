/**
 * Outbound WebSockets from a real node-runtime process (`new WebSocket(url, protocols)` in
 * node-worker/websocket.mjs, opened by the host in node-sockets.ts and outbound-sockets.ts):
 * text and binary both ways, the subprotocol, the function's close, a socket left open
 * closed with 1001 when its call ends (after its waitUntil work), waitUntil work past the
 * deadline (the process stopped), the send window (1008), the cap per instance, close()
 * while connecting, the CPU limit of their listeners (in the call's before its answer, per
 * message after it); the egress rules, bad ports and the URL checks; and
 * what a function that forges the channel's messages can reach: only its own instance's
 * sockets, by number, and only plain values back.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { systemClock } from '../../core/clock.ts';
import { bundleSource } from '../../deploy/bundle.ts';
import { eventCall, handlerValue, rejectsWith, startWith, type Harness } from '../contract.ts';
import { createEgressGuard } from '../egress-guard.ts';
import { egressPolicy } from '../egress-policy.ts';
import { MAX_OUTBOUND_WEBSOCKETS } from '../outbound-sockets.ts';
import type { OutboundSocketConnect } from '../port.ts';
import { probeIsolation } from './isolation.ts';
import type { NodeInstance } from './node-instance.ts';
import { createNodeRuntime, type NodeRuntime } from './node-runtime.ts';

const SOURCE = `
const settle = (ws: any, got: string[]) => new Promise((resolve) => {
  ws.addEventListener('error', (e: any) => got.push('error: ' + e.message));
  ws.addEventListener('close', (e: any) => resolve({ got, code: e.code, reason: e.reason, wasClean: e.wasClean, protocol: ws.protocol }));
});
const nameOf = (f: () => unknown) => { try { f(); return 'no error'; } catch (e: any) { return e.name; } };

export async function handler(event: any, context: any) {
  if (event.do === 'relay') {
    const ws = new WebSocket(event.to, ['chat']);
    const got: string[] = [];
    const at = { readyState: ws.readyState, url: ws.url, sendBeforeOpen: nameOf(() => ws.send('x')) };
    ws.addEventListener('open', () => { ws.send('ping'); ws.send(new Uint8Array([7, 8])); });
    ws.addEventListener('message', (e: any) => {
      got.push(typeof e.data === 'string' ? e.data : [...new Uint8Array(e.data)].join('.'));
      if (got.length === 2) ws.close(1000, 'thanks');
    });
    return { ...at, ...(await settle(ws, got) as object) };
  }
  if (event.do === 'leave') {
    const ws = new WebSocket(event.to);
    await new Promise((r) => ws.addEventListener('open', r));
    ws.send('left open');
    ws.addEventListener('close', (e: any) => console.log('closed after the call', e.code, e.reason));
    return 'left';
  }
  if (event.do === 'refused') return settle(new WebSocket(event.to), []);
  if (event.do === 'flood') {
    // more than the platform has taken, sent at once: send throws, the socket is closed (1008)
    const ws = new WebSocket(event.to);
    await new Promise((r) => ws.addEventListener('open', r));
    const chunk = 'f'.repeat(1024 * 1024);
    let sent = 0;
    let thrown = '';
    try { for (let i = 0; i < 16; i++) { ws.send(chunk); sent++; } } catch (e: any) { thrown = e.name; }
    const closed: any = await new Promise((r) => ws.addEventListener('close', r));
    return { sent, thrown, code: closed.code };
  }
  if (event.do === 'later') {
    // opened in waitUntil work, after the answer: open until that work is done
    context.waitUntil((async () => {
      const ws = new WebSocket(event.to);
      await new Promise((r) => ws.addEventListener('open', r));
      ws.send('from the background');
      await new Promise((r) => ws.addEventListener('message', r));
      console.log('background done');
    })());
    return 'answered';
  }
  if (event.do === 'stuck') {
    // waitUntil work that never ends, holding a socket open
    context.waitUntil((async () => {
      const ws = new WebSocket(event.to);
      await new Promise((r) => ws.addEventListener('open', r));
      ws.send('stuck in the background');
      await new Promise(() => {});
    })());
    return 'answered';
  }
  if (event.do === 'many') {
    // opened in one turn: the platform sees every ws-connect before any socket opens
    const all = Array.from({ length: event.n }, () => new WebSocket(event.to));
    const outcomes = await Promise.all(all.map((ws) => new Promise((r) => {
      ws.addEventListener('open', () => r('open'));
      ws.addEventListener('error', (e: any) => r('error: ' + e.message));
    })));
    const closes = all.map((ws) => (ws.readyState === 3 ? null : new Promise((r) => ws.addEventListener('close', r))));
    for (const ws of all) ws.close();
    await Promise.all(closes);
    return outcomes;
  }
  if (event.do === 'abandon') {
    // closed while connecting: the standard's failure, error then close 1006
    const ws = new WebSocket(event.to);
    const got: string[] = [];
    ws.addEventListener('open', () => got.push('open'));
    ws.close(4000, 'never mind');
    const after = ws.readyState;
    const closed: any = await settle(ws, got);
    const state = ws.readyState;
    // the invocation stays until the server says 'release' (so the platform, not the call's end, closes the abandoned one)
    const hold = new WebSocket(event.to);
    hold.addEventListener('open', () => hold.send('abandon-holding'));
    await new Promise<void>((r) => hold.addEventListener('message', (e: any) => { if (e.data === 'release') r(); }));
    hold.close();
    return { after, ...closed, state };
  }
  if (event.do === 'spin') {
    // a listener of a socket opened in waitUntil work, after the answer, that never returns
    context.waitUntil((async () => {
      const ws = new WebSocket(event.to);
      await new Promise((r) => ws.addEventListener('open', r));
      ws.addEventListener('message', (e: any) => { if (e.data === 'spin') for (;;) {} });
      ws.send('spin');
      await new Promise(() => {});
    })());
    return 'answered';
  }
  if (event.do === 'burn') {
    // before its answer: each echoed message's listener burns 100 ms of the process's CPU, ten in all
    const ws = new WebSocket(event.to);
    await new Promise((r) => ws.addEventListener('open', r));
    let n = 0;
    const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
    const done = new Promise((r) => ws.addEventListener('message', () => {
      const until = cpu() + 100;
      while (cpu() < until) {}
      if (++n === 10) r(n);
    }));
    for (let i = 0; i < 10; i++) ws.send('burn');
    return done;
  }
  if (event.do === 'syntax') {
    return [
      nameOf(() => new WebSocket('ws://example.com/#')),
      nameOf(() => new WebSocket('ftp://example.com/')),
      nameOf(() => new WebSocket('not a url')),
      nameOf(() => new WebSocket('ws://example.com/', ['a b'])),
      nameOf(() => new WebSocket('ws://example.com/', ['p', 'p'])),
    ];
  }
  if (event.do === 'hold') {
    // open until the server says 'release'
    const ws = new WebSocket(event.to);
    const got: string[] = [];
    ws.addEventListener('open', () => ws.send('holding'));
    ws.addEventListener('message', (e: any) => { got.push(e.data); if (e.data === 'release') ws.close(1000, 'released'); });
    return settle(ws, got);
  }
  if (event.do === 'forge') {
    // the channel's own messages, sent by hand: what comes back, and whether anything is more than plain data
    const seen: any[] = [];
    const plain = (v: unknown) => v === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof v) || v instanceof Uint8Array;
    const listener = (m: any) => { if (typeof m?.t === 'string' && m.t.startsWith('ws-')) seen.push({ t: m.t, id: m.id, plain: Object.values(m).every(plain), message: m.message }); };
    process.on('message', listener);
    const answer = (id: number) => new Promise<any>((resolve) => {
      const check = () => { const m = seen.find((s) => s.id === id && (s.t === 'ws-refused' || s.t === 'ws-opened')); if (m) resolve(m); else setTimeout(check, 5); };
      check();
    });
    const send = (m: object) => (process as any).send(m);
    // another instance's socket, by its number: nothing of this reaches it
    send({ t: 'ws-send', id: event.foreignId, data: 'forged' });
    send({ t: 'ws-close', id: event.foreignId, code: 4000, reason: 'forged' });
    // an invocation that is not this instance's, and none at all
    send({ t: 'ws-connect', id: 900001, invocationId: 'not-mine', url: event.to, protocols: '' });
    send({ t: 'ws-connect', id: 900002, invocationId: '', url: event.to, protocols: '' });
    // not a string
    send({ t: 'ws-connect', id: 900003, invocationId: event.self, url: { href: event.to }, protocols: '' });
    // a number in use
    const ws = new WebSocket(event.to);
    const opened = new Promise((r) => ws.addEventListener('open', r));
    await opened;
    const own = seen.find((s) => s.t === 'ws-opened')!.id;
    send({ t: 'ws-connect', id: own, invocationId: event.self, url: event.to, protocols: '' });
    const answers = [await answer(900001), await answer(900002), await answer(900003)];
    const taken = await new Promise<any>((resolve) => {
      const check = () => { const m = seen.filter((s) => s.id === own && s.t === 'ws-refused'); if (m.length > 0) resolve(m[0]); else setTimeout(check, 5); };
      check();
    });
    ws.close(1000);
    await new Promise((r) => ws.addEventListener('close', r));
    process.off('message', listener);
    return { answers: answers.map((a) => a.message), taken: taken.message, plain: seen.every((s) => s.plain), kinds: [...new Set(seen.map((s) => s.t))].sort() };
  }
  return 'unknown';
}`;

interface Seen {
  readonly messages: string[];
  readonly closes: Array<{ code: number; reason: string }>;
  readonly sockets: ServerSocket[];
}

function guarded(allow: string, maxMessageBytes = 64 * 1024): OutboundSocketConnect {
  const guard = createEgressGuard({ policy: egressPolicy(allow), platformOrigins: () => [], monotonic: () => performance.now() });
  return (url, protocols) => guard.connectWebSocket(new URL(url), protocols, maxMessageBytes);
}

/** Waits until `check` holds, on the server's events (no fixed sleep). */
function until(server: WebSocketServer, check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const look = () => {
      if (!check()) return;
      server.off('event', look);
      resolve();
    };
    server.on('event', look);
    look();
  });
}

describe('node runtime: outbound WebSockets', () => {
  let runtime: NodeRuntime;
  let server: WebSocketServer;
  let to = '';
  const seen: Seen = { messages: [], closes: [], sockets: [] };
  let h: Harness;
  let code = '';
  before(async () => {
    // built as `nimbus deploy --runtime node` builds it: Node's own process global
    code = (await bundleSource({ 'index.ts': SOURCE }, 'index.ts', 'node')).code;
    server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (set) => (set.has('chat') ? 'chat' : false) });
    await new Promise<void>((r) => server.once('listening', r));
    server.on('connection', (ws) => {
      seen.sockets.push(ws);
      server.emit('event');
      ws.on('message', (data, binary) => {
        seen.messages.push(binary ? [...(data as Buffer)].join('.') : data.toString());
        server.emit('event');
        ws.send(data, { binary });
      });
      ws.on('close', (code, reason) => {
        seen.closes.push({ code, reason: reason.toString() });
        server.emit('event');
      });
    });
    to = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const probed = probeIsolation();
    runtime = createNodeRuntime({ clock: systemClock, isolation: probed.network === 'namespace' ? probed : probeIsolation({ allowHostNetwork: true }), spares: 2 });
    h = await startWith(runtime, code, { timeoutMs: 20_000 }, undefined, 'fn', { connectWebSocket: guarded('127.0.0.1') });
  });
  after(async () => {
    await runtime.close();
    server.close();
  });

  it('opens through the platform: text and binary both ways, the subprotocol, the function\'s close; before open: CONNECTING, its url, send throws', async () => {
    const before = seen.closes.length;
    const r = handlerValue(await h.instance.invoke(eventCall('out-a', { do: 'relay', to }, 20_000)));
    assert.deepEqual(r, { readyState: 0, url: to, sendBeforeOpen: 'InvalidStateError', got: ['ping', '7.8'], code: 1000, reason: 'thanks', wasClean: true, protocol: 'chat' });
    await until(server, () => seen.closes.length > before);
    assert.deepEqual(seen.closes[before], { code: 1000, reason: 'thanks' });
  });

  it('a socket left open is closed with 1001 when the call that opened it is over', async () => {
    const before = seen.closes.length;
    assert.equal(handlerValue(await h.instance.invoke(eventCall('out-b', { do: 'leave', to }, 20_000))), 'left');
    await until(server, () => seen.closes.length > before);
    assert.deepEqual(seen.closes[before], { code: 1001, reason: 'the invocation is over' });
    assert.ok(seen.messages.includes('left open'));
  });

  it('a function that sends more than the platform has taken at once: send throws InvalidStateError, the server sees 1008', async () => {
    const flooding = await startWith(runtime, code, { timeoutMs: 20_000 }, undefined, 'flood', { connectWebSocket: guarded('127.0.0.1', 2 * 1024 * 1024) });
    const before = seen.closes.length;
    const r = handlerValue(await flooding.instance.invoke(eventCall('out-flood', { do: 'flood', to }, 20_000))) as { sent: number; thrown: string; code: number };
    assert.deepEqual([r.sent, r.thrown], [8, 'InvalidStateError']);
    await until(server, () => seen.closes.length > before);
    assert.equal(seen.closes[before].code, 1008);
    assert.equal(r.code, 1008);
    flooding.instance.dispose();
  });

  it("a socket opened in waitUntil work after the answer lives until that work is done, then is closed (1001)", async () => {
    const before = seen.closes.length;
    const result = await h.instance.invoke(eventCall('out-later', { do: 'later', to }, 20_000));
    assert.equal(handlerValue(result), 'answered');
    assert.ok(result.background !== undefined);
    await result.background;
    await until(server, () => seen.closes.length > before);
    assert.deepEqual(seen.closes[before], { code: 1001, reason: 'the invocation is over' });
    assert.ok(seen.messages.includes('from the background'));
    assert.ok(h.logs.some((l) => l.invocationId === 'out-later' && l.message === 'background done'));
  });

  it('waitUntil work holding a socket past the deadline: the process is stopped (timeout), an error line logged, the socket closed', { timeout: 30_000 }, async () => {
    const stuck = await startWith(runtime, code, { timeoutMs: 3_000 }, undefined, 'stuck', { connectWebSocket: guarded('127.0.0.1') });
    const before = seen.closes.length;
    const result = await stuck.instance.invoke(eventCall('out-stuck', { do: 'stuck', to }, 3_000));
    assert.equal(handlerValue(result), 'answered');
    assert.ok(result.background !== undefined);
    await result.background;
    await (stuck.instance as NodeInstance).whenExited();
    assert.equal(stuck.instance.deathReason(), 'timeout');
    assert.ok(stuck.logs.some((l) => l.invocationId === 'out-stuck' && l.level === 'error' && /waitUntil work was still running at the deadline/.test(l.message)));
    await until(server, () => seen.closes.length > before);
    assert.ok(seen.messages.includes('stuck in the background'));
    stuck.instance.dispose();
  });

  it(`at most ${MAX_OUTBOUND_WEBSOCKETS} outbound sockets opening or open per instance: past it, an error saying so, no connection tried; closed ones free their place`, { timeout: 30_000 }, async () => {
    const connections = seen.sockets.length;
    const closed = seen.closes.length;
    const n = MAX_OUTBOUND_WEBSOCKETS + 8;
    const outcomes = handlerValue(await h.instance.invoke(eventCall('out-many', { do: 'many', to, n }, 20_000))) as string[];
    assert.equal(outcomes.length, n);
    assert.deepEqual(outcomes.slice(0, MAX_OUTBOUND_WEBSOCKETS), Array(MAX_OUTBOUND_WEBSOCKETS).fill('open'));
    for (const o of outcomes.slice(MAX_OUTBOUND_WEBSOCKETS)) assert.match(o, /^error: too many outbound WebSockets: at most 32 /);
    assert.equal(seen.sockets.length, connections + MAX_OUTBOUND_WEBSOCKETS);
    // once they are closed, as many may be opened again
    await until(server, () => seen.closes.length >= closed + MAX_OUTBOUND_WEBSOCKETS);
    const again = handlerValue(await h.instance.invoke(eventCall('out-many-2', { do: 'many', to, n: MAX_OUTBOUND_WEBSOCKETS }, 20_000))) as string[];
    assert.deepEqual(again, Array(MAX_OUTBOUND_WEBSOCKETS).fill('open'));
  });

  it('close() while connecting fails the connection: CLOSING, then error and close 1006 (not clean); the platform closes the socket once open (1001)', async () => {
    const before = seen.closes.length;
    const connections = seen.sockets.length;
    const call = h.instance.invoke(eventCall('out-abandon', { do: 'abandon', to }, 20_000));
    await until(server, () => seen.closes.length > before);
    assert.deepEqual(seen.closes[before], { code: 1001, reason: 'the socket is gone' });
    await until(server, () => seen.messages.includes('abandon-holding'));
    for (const ws of seen.sockets.slice(connections)) if (ws.readyState === ws.OPEN) ws.send('release');
    const r = handlerValue(await call);
    assert.deepEqual(r, { after: 2, got: ['error: the WebSocket was closed before the connection was established'], code: 1006, reason: '', wasClean: false, protocol: '', state: 3 });
  });

  it("an outbound socket's listener in waitUntil work is under the CPU limit: one that loops stops the process (cpu_limit), an error line logged", { timeout: 30_000 }, async () => {
    const spinning = await startWith(runtime, code, { timeoutMs: 15_000, cpuLimitMs: 300 }, undefined, 'spin', { connectWebSocket: guarded('127.0.0.1') });
    const result = await spinning.instance.invoke(eventCall('out-spin', { do: 'spin', to }, 15_000));
    assert.equal(handlerValue(result), 'answered');
    await result.background;
    await (spinning.instance as NodeInstance).whenExited();
    assert.equal(spinning.instance.deathReason(), 'cpu_limit');
    assert.ok(spinning.logs.some((l) => l.invocationId === 'out-spin' && l.level === 'error' && /WebSocket listener went over the CPU limit \(300 ms\)/.test(l.message)));
    spinning.instance.dispose();
  });

  it("before the call's answer its outbound sockets' listeners count in the call's CPU, not afresh per message: CPU_LIMIT", { timeout: 30_000 }, async () => {
    const burning = await startWith(runtime, code, { timeoutMs: 15_000, cpuLimitMs: 300 }, undefined, 'burn', { connectWebSocket: guarded('127.0.0.1') });
    await rejectsWith(burning.instance.invoke(eventCall('out-burn', { do: 'burn', to }, 15_000)), 'NIMBUS_ERR_CPU_LIMIT');
    burning.instance.dispose();
  });

  it('the URL and subprotocols are checked in the process: SyntaxError', async () => {
    assert.deepEqual(handlerValue(await h.instance.invoke(eventCall('out-c', { do: 'syntax' }))), ['SyntaxError', 'SyntaxError', 'SyntaxError', 'SyntaxError', 'SyntaxError']);
  });

  it('a bad port and an address the egress rules refuse: an error event saying why, then close 1006, no connection tried', async () => {
    const connections = seen.sockets.length;
    const badPort = handlerValue(await h.instance.invoke(eventCall('out-d', { do: 'refused', to: 'ws://127.0.0.1:6667/' }))) as { got: string[]; code: number };
    assert.equal(badPort.code, 1006);
    assert.match(badPort.got[0], /^error: the port 6667 is a bad port/);
    const strict = await startWith(runtime, code, {}, undefined, 'strict', { connectWebSocket: guarded('') });
    const refused = handlerValue(await strict.instance.invoke(eventCall('out-e', { do: 'refused', to }))) as { got: string[]; code: number; wasClean: boolean };
    assert.equal(refused.code, 1006);
    assert.equal(refused.wasClean, false);
    assert.match(refused.got[0], /^error: .*127\.0\.0\.1 is .*may not reach.*--egress-allow/);
    // without connectWebSocket in the spec, none is opened
    const none = await startWith(runtime, code, {}, undefined, 'none');
    const off = handlerValue(await none.instance.invoke(eventCall('out-f', { do: 'refused', to }))) as { got: string[]; code: number };
    assert.deepEqual(off.got, ['error: outbound WebSockets are not available here']);
    assert.equal(seen.sockets.length, connections);
    strict.instance.dispose();
    none.instance.dispose();
  });

  it("forged messages reach only the process's own instance, by number, for its own calls; only plain values come back", async () => {
    // another instance holds a socket, numbered 1 in its own process
    const holder = await startWith(runtime, code, { timeoutMs: 20_000 }, undefined, 'holder', { connectWebSocket: guarded('127.0.0.1') });
    const connections = seen.sockets.length;
    const held = holder.instance.invoke(eventCall('out-hold', { do: 'hold', to }, 20_000));
    await until(server, () => seen.messages.includes('holding'));
    const heldSocket = seen.sockets[connections];
    const forged = handlerValue(await h.instance.invoke(eventCall('out-g', { do: 'forge', to, self: 'out-g', foreignId: 1 }, 20_000))) as Record<string, unknown>;
    assert.deepEqual(forged, {
      answers: ['a WebSocket is opened by an invocation, and this one is over', 'a WebSocket is opened by an invocation, and this one is over', 'a WebSocket URL is a string'],
      taken: 'bad socket number',
      plain: true,
      kinds: ['ws-close', 'ws-opened', 'ws-refused'],
    });
    // one connection for the forging function's own socket, none for the forged ones; the held socket got nothing forged
    assert.equal(seen.sockets.length, connections + 2);
    assert.ok(!seen.messages.includes('forged'));
    heldSocket.send('release');
    assert.deepEqual(handlerValue(await held), { got: ['holding', 'release'], code: 1000, reason: 'released', wasClean: true, protocol: '' });
    holder.instance.dispose();
  });
});
