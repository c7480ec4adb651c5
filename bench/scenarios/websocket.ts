/**
 * WebSocket echo: round trips per second over open sockets, each client sending one
 * message and waiting for its echo before the next, through a function that accepted the
 * socket (WebSocketPair) against a bare ws echo server on the same machine.
 */
import { WebSocket } from 'ws';
import type { Recorder } from '../lib/results.ts';
import type { Scenario, Settings } from '../lib/scenario.ts';
import { HOST } from '../lib/guard.ts';
import { Histogram } from '../lib/histogram.ts';
import { freePort, memoryOf, start } from '../lib/proc.ts';
import { childEnv } from '../lib/proc.ts';
import type { TargetInfo } from '../lib/results.ts';
import type { HttpTarget } from '../targets/types.ts';
import { attempt, BENCH_CONFIG, nimbusWith, stopAll } from './common.ts';

const CLIENTS = 8;
const MESSAGE = 'x'.repeat(64);

const RAW_WS: TargetInfo = { id: 'raw-ws', label: 'raw ws', description: 'A bare `ws` 8 echo server in its own process (no function, no isolate, no platform).' };

const SOURCE = `export default { fetch() {
  const [client, server] = Object.values(new WebSocketPair());
  server.accept();
  server.addEventListener('message', (e) => server.send(e.data));
  return new Response(null, { status: 101, webSocket: client });
} };`;

const script = new URL('../targets/raw-ws-server.mjs', import.meta.url).pathname;

async function startRawWs(): Promise<HttpTarget> {
  const port = await freePort();
  const p = start({ cmd: process.execPath, args: [script], env: childEnv({ PORT: String(port) }) });
  try {
    await Promise.race([p.waitForLine(/ready/, 15000), p.died()]);
  } catch (e) {
    await p.stop();
    throw e;
  }
  return { info: RAW_WS, baseUrl: `http://${HOST}:${port}`, pid: p.pid, startMs: 0, fnPath: (name) => `/fn/${name}/`, memory: () => memoryOf(p.pid), stop: () => p.stop() };
}

function connect(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** CLIENTS sockets, each in a send→echo loop for `seconds`; round trips per second and every round trip's time. */
async function round(sockets: WebSocket[], seconds: number): Promise<{ rate: number; rtts: Histogram }> {
  const until = performance.now() + seconds * 1000;
  const t0 = performance.now();
  const rtts = new Histogram();
  let count = 0;
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve, reject) => {
          let sentAt = 0;
          const next = () => {
            if (performance.now() >= until) {
              ws.off('message', onMessage);
              resolve();
              return;
            }
            sentAt = performance.now();
            ws.send(MESSAGE);
          };
          const onMessage = () => {
            rtts.recordMs(performance.now() - sentAt);
            count++;
            next();
          };
          ws.on('message', onMessage);
          ws.once('close', () => reject(new Error('the socket closed')));
          next();
        }),
    ),
  );
  return { rate: count / ((performance.now() - t0) / 1000), rtts };
}

export const websocketEcho: Scenario = {
  id: 'websocket',
  title: 'WebSocket echo round trips',
  description:
    `${CLIENTS} open WebSockets, each sending a ${MESSAGE.length}-byte text message and waiting for its echo before the next: ` +
    'through a function that accepted the socket with WebSocketPair and echoes in a message listener, against a bare `ws` ' +
    'echo server in its own process. Round trips per second over a round, and each round trip\'s time.',
  async run(s: Settings, rec: Recorder) {
    rec.metric({ id: 'rate', label: 'Round trips', unit: 'round trips/s', better: 'higher', kind: 'rate' });
    rec.metric({ id: 'rtt', label: 'Round trip', unit: 'ms', better: 'lower', kind: 'latency' });
    const started: Array<HttpTarget | null> = [];
    const sockets = new Map<string, WebSocket[]>();
    try {
      started.push(await attempt(s, rec, RAW_WS, 'all figures', () => startRawWs()));
      // a socket lasts as long as the bench round: give the function time (and idle room)
      started.push(await nimbusWith(s, rec, 'all figures', { echo: SOURCE }, { ...BENCH_CONFIG, timeoutMs: 600_000 }));
      const running = started.filter((t): t is HttpTarget => t !== null);
      for (const t of running) {
        const url = t.baseUrl.replace('http', 'ws') + t.fnPath('echo');
        sockets.set(t.info.id, await Promise.all(Array.from({ length: CLIENTS }, () => connect(url))));
      }
      for (const t of running) await round(sockets.get(t.info.id)!, s.warmupSec);
      for (let i = 1; i <= s.rounds; i++) {
        for (const t of running) {
          const r = await round(sockets.get(t.info.id)!, s.durationSec);
          rec.round('rate', t.info.id, r.rate);
          rec.latencyRound('rtt', t.info.id, r.rtts);
          s.log(`  round ${i}/${s.rounds} ${t.info.id.padEnd(12)} ${r.rate.toFixed(0).padStart(7)} round trips/s`);
        }
      }
      return { targets: running.map((t) => t.info), settings: { clients: CLIENTS, messageBytes: MESSAGE.length }, headline: 'rate', baseline: RAW_WS.id };
    } finally {
      for (const list of sockets.values()) for (const ws of list) ws.terminate();
      await stopAll(started);
    }
  },
};
