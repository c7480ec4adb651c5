/**
 * CPU of the platform process per WebSocket message echoed by an app (runtime "app", the
 * hand-written Python server of test/e2e/fixtures/apps/py-websocket, in its network
 * namespace where bubblewrap makes one) and by an isolate function (WebSocketPair echo),
 * taking turns on one platform: each round sends `--messages` small text messages on one
 * open socket, `--window` of them unanswered at a time, and reads the platform's
 * utime+stime (/proc/<pid>/stat) before and after. The app's own CPU is not counted.
 * Medians over the rounds.
 *
 *   NIMBUS_FROM_SOURCE=1 node --no-node-snapshot --import tsx bench/micro/ws-app-cpu.ts [--rounds 6] [--messages 5000] [--window 20]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { cli, ROOT, startPlatform } from '../../test/helpers/platform.ts';
import { arg } from './common.ts';

const ROUNDS = arg('rounds', 6);
const MESSAGES = arg('messages', 5000);
const WINDOW = arg('window', 20);
const ECHO = `export default { fetch(request) {
  const [client, server] = Object.values(new WebSocketPair());
  server.accept();
  server.addEventListener('message', (e) => server.send(e.data));
  return new Response(null, { status: 101, webSocket: client });
} };`;

const ticks = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
};

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
try {
  await p.deploy('wsecho', ECHO, { timeoutMs: 900_000 });
  const deployed = await cli(p, ['deploy', 'wsapp', join(ROOT, 'test/e2e/fixtures/apps/py-websocket'), '--runtime', 'app', '--cmd', 'python3 app.py', '--timeout', '900s']);
  if (deployed.code !== 0) throw new Error(deployed.stderr + deployed.stdout);
  const base = p.url.replace('http', 'ws');
  const app = await openSocket(`${base}/fn/wsapp/`);
  // the app's first message says what it saw
  await new Promise((r) => app.once('message', r));
  const fn = await openSocket(`${base}/fn/wsecho/`);
  const pid = p.proc.pid!;
  const hz = 100;
  const per: Record<'app' | 'isolate', number[]> = { app: [], isolate: [] };
  await pingPong(app, 500, WINDOW);
  await pingPong(fn, 500, WINDOW);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, ws] of [['app', app], ['isolate', fn]] as const) {
      const t0 = ticks(pid);
      await pingPong(ws, MESSAGES, WINDOW);
      per[name].push((((ticks(pid) - t0) / hz) * 1e6) / MESSAGES);
    }
  }
  for (const name of ['app', 'isolate'] as const) console.log(`${name}: median ${median(per[name]).toFixed(1)} µs of platform CPU per echoed message (rounds: ${per[name].map((x) => x.toFixed(0)).join(' ')})`);
  app.close(1000);
  fn.close(1000);
} finally {
  await p.stop();
  p.cleanup();
}
