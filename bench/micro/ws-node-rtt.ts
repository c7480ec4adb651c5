/**
 * WebSocket round trips through a function on the `node` runtime against the same echo
 * function on the isolate runtime (WebSocketPair, the same source), taking turns on one
 * platform: each round sends `--messages` small text messages on one open socket to each,
 * `--window` of them unanswered at a time (1: one round trip after the other), and reads
 * the round trips/s, the platform process's utime+stime and that of the processes it started
 * (the node function's process among them; /proc/<pid>/stat, 10 ms ticks) per message.
 * Medians over the rounds.
 *
 *   NIMBUS_FROM_SOURCE=1 node --no-node-snapshot --import tsx bench/micro/ws-node-rtt.ts [--rounds 8] [--messages 5000] [--window 1]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { cli, startPlatform } from '../../test/helpers/platform.ts';
import { arg } from './common.ts';

const ROUNDS = arg('rounds', 8);
const MESSAGES = arg('messages', 5000);
const WINDOW = arg('window', 1);
const ECHO = `export default { fetch(request) {
  const [client, server] = Object.values(new WebSocketPair());
  server.accept();
  server.addEventListener('message', (e) => server.send(e.data));
  return new Response(null, { status: 101, webSocket: client });
} };`;

/** utime+stime of a process, ticks (0 once it is gone). */
const ticks = (pid: number): number => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
};

/** The processes started by `root`, at any depth. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      parent.set(Number(name), Number(readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1].split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const [child, p] of parent) if (p === pid) (out.push(child), walk(child));
  };
  walk(root);
  return out;
}

async function openSocket(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
  return ws;
}

/** Sends `n` messages, at most `window` unanswered; resolves once all are echoed. */
function pingPong(ws: WebSocket, n: number, window: number): Promise<void> {
  return new Promise((resolve) => {
    let sent = 0;
    let got = 0;
    const onMessage = () => {
      got++;
      if (got === n) {
        ws.off('message', onMessage);
        resolve();
      } else if (sent < n) (ws.send(`m${sent}`), sent++);
    };
    ws.on('message', onMessage);
    for (; sent < Math.min(window, n); sent++) ws.send(`m${sent}`);
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const p = await startPlatform({ args: ['--ws-idle-timeout', '600000'] });
const dir = mkdtempSync(join(tmpdir(), 'nimbus-ws-node-rtt-'));
try {
  writeFileSync(join(dir, 'echo.js'), ECHO);
  for (const [name, runtime] of [['wsnode', 'node'], ['wsisolate', 'isolate']]) {
    const deployed = await cli(p, ['deploy', name, join(dir, 'echo.js'), '--runtime', runtime, '--timeout', '900s']);
    if (deployed.code !== 0) throw new Error(deployed.stderr + deployed.stdout);
  }
  const base = p.url.replace('http', 'ws');
  const sockets = { node: await openSocket(`${base}/fn/wsnode/`), isolate: await openSocket(`${base}/fn/wsisolate/`) };
  const pid = p.proc.pid!;
  const hz = 100;
  type Figures = { rtps: number[]; platformUs: number[]; childrenUs: number[] };
  const per: Record<'node' | 'isolate', Figures> = { node: { rtps: [], platformUs: [], childrenUs: [] }, isolate: { rtps: [], platformUs: [], childrenUs: [] } };
  for (const ws of Object.values(sockets)) await pingPong(ws, 500, WINDOW);
  const children = descendants(pid);
  const childTicks = () => children.reduce((sum, c) => sum + ticks(c), 0);
  for (let round = 0; round < ROUNDS; round++) {
    // alternated, and which goes first alternates too
    const order = round % 2 === 0 ? (['node', 'isolate'] as const) : (['isolate', 'node'] as const);
    for (const name of order) {
      const t0 = ticks(pid);
      const c0 = childTicks();
      const w0 = performance.now();
      await pingPong(sockets[name], MESSAGES, WINDOW);
      const wall = performance.now() - w0;
      per[name].rtps.push((MESSAGES / wall) * 1000);
      per[name].platformUs.push((((ticks(pid) - t0) / hz) * 1e6) / MESSAGES);
      per[name].childrenUs.push((((childTicks() - c0) / hz) * 1e6) / MESSAGES);
    }
  }
  const fmt = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(' ');
  for (const name of ['node', 'isolate'] as const) {
    const f = per[name];
    console.log(
      `${name}: median ${median(f.rtps).toFixed(0)} round trips/s (${fmt(f.rtps)}); platform CPU ${median(f.platformUs).toFixed(1)} µs a message (${fmt(f.platformUs)}); ` +
        `its child processes ${median(f.childrenUs).toFixed(1)} µs (${fmt(f.childrenUs)})`,
    );
  }
  console.log(`window ${WINDOW}, ${MESSAGES} messages a round, ${ROUNDS} rounds; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  for (const ws of Object.values(sockets)) ws.close(1000);
} finally {
  await p.stop();
  p.cleanup();
  rmSync(dir, { recursive: true, force: true });
}
