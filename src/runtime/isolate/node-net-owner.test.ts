/**
 * Whose code a Node layer socket's event is: the invocation that opened the socket while it
 * is not finished, else the instance's own (log lines with no invocation id, timers that
 * live with the instance, CPU bounded as module-level timers' is). Against a real TCP
 * server on loopback whose side of each connection the test drives.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { systemClock, type Clock } from '../../core/clock.ts';
import { bundleSource } from '../../deploy/bundle.ts';
import { baseConfig, handlerValue } from '../contract.ts';
import { createEgressGuard } from '../egress-guard.ts';
import { egressPolicy } from '../egress-policy.ts';
import type { FunctionConfig } from '../../core/types.ts';
import type { Instance, InstanceDeath } from '../port.ts';
import { createIsolateRuntime } from './index.ts';

interface Line {
  readonly invocationId: string;
  readonly message: string;
}

describe('Node layer socket events run as their owner', () => {
  const runtime = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [64], onError: () => undefined });
  let server: Server;
  let port: number;
  /** Server ends of the connections, in the order they came. */
  const accepted: Socket[] = [];
  let onAccept: (s: Socket) => void = () => undefined;
  before(async () => {
    server = createServer((socket) => {
      socket.on('error', () => undefined);
      accepted.push(socket);
      onAccept(socket);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    for (const s of accepted) s.destroy();
    await runtime.close();
    server.close();
  });

  const nextConnection = () => new Promise<Socket>((resolve) => (onAccept = resolve));

  let n = 0;
  async function start(source: string, config: Partial<FunctionConfig> = {}, on = runtime, sharedLayer = true) {
    const lines: Line[] = [];
    let wanted: { match: RegExp; resolve: (l: Line) => void } | null = null;
    const deaths: InstanceDeath[] = [];
    let died: (r: InstanceDeath) => void = () => undefined;
    const death = new Promise<InstanceDeath>((resolve) => (died = resolve));
    const guard = createEgressGuard({ policy: egressPolicy('127.0.0.1'), platformOrigins: () => [], monotonic: () => performance.now() });
    const code = (await bundleSource({ 'index.ts': source }, 'index.ts', 'isolate', { sharedLayer })).code;
    const inst: Instance = await on.start({
      instanceId: `owner-${++n}`, functionName: 'owner', version: 1, code, config: { ...baseConfig, ...config },
      onLog: (invocationId, _level, message) => {
        const line = { invocationId, message };
        lines.push(line);
        if (wanted !== null && wanted.match.test(message)) {
          wanted.resolve(line);
          wanted = null;
        }
      },
      onDeath: (r) => {
        deaths.push(r);
        died(r);
      },
      fetch: () => Promise.reject(new Error('no fetch here')), connect: guard.connect, lookup: guard.lookup, resolve: guard.resolve,
    });
    /** The first line matching `match`, already logged or still to come. */
    const line = (match: RegExp) => {
      const seen = lines.find((l) => match.test(l.message));
      return seen !== undefined ? Promise.resolve(seen) : new Promise<Line>((resolve) => (wanted = { match, resolve }));
    };
    return { inst, lines, line, death };
  }
  const invoke = async (inst: Instance, event: unknown, id = `i${++n}`) =>
    handlerValue(await inst.invoke({ mode: 'handler', event, meta: { invocationId: id, functionName: 'owner', version: 1, deadline: Date.now() + 5_000, attempt: 1, memoryMb: 128 } }));

  // A driver's kept connection: opened by the first invocation, which ends before anything
  // arrives on it. A later invocation waits for what its late events did.
  const KEPT = `import net from 'node:net';
    let timerRan;
    const ran = new Promise((resolve) => (timerRan = resolve));
    export async function handler({ port, op }) {
      if (op === 'open') {
        const socket = net.connect(port, '127.0.0.1');
        socket.on('data', (c) => {
          console.log('late data ' + c);
          setTimeout(() => timerRan('timer from data ' + c), 1);
        });
        socket.on('close', () => {
          console.log('late close');
          // ioredis-style: reconnect later
          setTimeout(() => timerRan('reconnect timer from close'), 1);
        });
        await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
        return 'open';
      }
      return await ran;
    }`;

  for (const sharedLayer of [true, false]) {
    it(`data arriving after the opening invocation finished: its log line is the instance’s, and a timer its handler sets fires (${sharedLayer ? 'shared' : 'own'} layer)`, async () => {
      const { inst, lines, line } = await start(KEPT, {}, runtime, sharedLayer);
      try {
        const connection = nextConnection();
        assert.equal(await invoke(inst, { port, op: 'open' }, 'opener'), 'open');
        (await connection).write('hello');
        assert.deepEqual(await line(/^late data/), { invocationId: '', message: 'late data hello' });
        assert.equal(await invoke(inst, { op: 'wait' }, 'later'), 'timer from data hello');
        assert.deepEqual(lines.filter((l) => l.invocationId === 'opener'), []);
      } finally {
        inst.dispose();
      }
    });
  }

  it('a close after the opening invocation finished: logged for the instance, and its reconnect timer fires', async () => {
    const { inst, line } = await start(KEPT);
    try {
      const connection = nextConnection();
      assert.equal(await invoke(inst, { port, op: 'open' }, 'opener'), 'open');
      (await connection).end();
      assert.deepEqual(await line(/^late close/), { invocationId: '', message: 'late close' });
      assert.equal(await invoke(inst, { op: 'wait' }, 'later'), 'reconnect timer from close');
    } finally {
      inst.dispose();
    }
  });

  it('a kept socket’s answer to a later invocation’s write is that invocation’s (a pooled connection)', async () => {
    const { inst, lines } = await start(`import net from 'node:net';
      let kept;
      let answered = () => undefined;
      export async function handler({ port, op }) {
        if (op === 'open') {
          kept = net.connect(port, '127.0.0.1');
          kept.on('data', (c) => { console.log('answer ' + c); answered(String(c)); });
          await new Promise((resolve, reject) => { kept.once('connect', resolve); kept.once('error', reject); });
          return 'open';
        }
        const got = new Promise((resolve) => (answered = resolve));
        kept.write(op);
        return await got;
      }`);
    try {
      const connection = nextConnection();
      assert.equal(await invoke(inst, { port, op: 'open' }, 'opener'), 'open');
      const server = await connection;
      server.on('data', (d) => server.write(d));
      assert.equal(await invoke(inst, { op: 'query' }, 'query'), 'query');
      assert.deepEqual(lines, [{ invocationId: 'query', message: 'answer query' }]);
    } finally {
      inst.dispose();
    }
  });

  it('data arriving while the opening invocation runs is that invocation’s', async () => {
    const { inst, lines } = await start(`import net from 'node:net';
      export async function handler({ port }) {
        const socket = net.connect(port, '127.0.0.1');
        const got = new Promise((resolve) => socket.once('data', (c) => { console.log('got ' + c); resolve(String(c)); }));
        await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
        const text = await got;
        socket.destroy();
        return text;
      }`);
    try {
      const connection = nextConnection();
      const answer = invoke(inst, { port }, 'running');
      (await connection).write('now');
      assert.equal(await answer, 'now');
      assert.deepEqual(lines, [{ invocationId: 'running', message: 'got now' }]);
    } finally {
      inst.dispose();
    }
  });

  // without a bound the loop would spin on: the timeout makes that a failure, not a hang
  it('a runaway loop in a socket handler, run while the instance is idle, is stopped by the CPU watchdog', { timeout: 30_000 }, async () => {
    const { clock, idle } = watchedClock();
    const watched = createIsolateRuntime({ clock, cpuSampleMs: SAMPLE_MS, prewarmMemoryMb: [], onError: () => undefined });
    const { inst, line, death } = await start(`import net from 'node:net';
      export async function handler({ port }) {
        const socket = net.connect(port, '127.0.0.1');
        socket.on('data', () => { console.log('runaway'); for (;;) {} });
        await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
        return 'open';
      }`, { cpuLimitMs: 50 }, watched);
    try {
      const connection = nextConnection();
      assert.equal(await invoke(inst, { port }, 'opener'), 'open');
      // the watchdog has seen the instance idle and stopped sampling it
      await idle();
      (await connection).write('go');
      assert.deepEqual(await line(/^runaway/), { invocationId: '', message: 'runaway' });
      assert.equal(await death, 'cpu_limit');
    } finally {
      inst.dispose();
      await watched.close();
    }
  });
});

/** A clock whose CPU watchdog ticks (the only timers of SAMPLE_MS) are seen: idle() settles once it stops ticking. */
const SAMPLE_MS = 9;
function watchedClock(): { clock: Clock; idle: () => Promise<void> } {
  let armed = 0;
  let waiting: Array<() => void> = [];
  const settle = () => {
    if (armed > 0) return;
    for (const resolve of waiting) resolve();
    waiting = [];
  };
  const clock: Clock = {
    ...systemClock,
    setTimer(ms, fn, ref) {
      if (ms !== SAMPLE_MS) return systemClock.setTimer(ms, fn, ref);
      armed++;
      let over = false;
      const end = () => {
        if (over) return;
        over = true;
        armed--;
      };
      const handle = systemClock.setTimer(ms, () => {
        end();
        fn();
        settle();
      }, ref);
      return { cancel: () => (end(), handle.cancel(), settle()) };
    },
  };
  return { clock, idle: () => new Promise<void>((resolve) => (armed === 0 ? resolve() : waiting.push(resolve))) };
}
