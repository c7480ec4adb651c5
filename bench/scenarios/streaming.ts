/**
 * Streaming: a function that answers with a ReadableStream of 64 KiB chunks, read by a
 * client as it arrives, against raw node:http writing the same chunks to the socket as it
 * takes them. Throughput (MB/s of body delivered) and time to first byte.
 */
import { request as httpRequest } from 'node:http';
import type { Recorder } from '../lib/results.ts';
import type { Scenario, Settings } from '../lib/scenario.ts';
import { startRaw } from '../targets/raw-node.ts';
import { RAW, type HttpTarget } from '../targets/types.ts';
import { attempt, BENCH_CONFIG, nimbusWith, stopAll } from './common.ts';

const CHUNK = 65536;
/** 4 MiB a response: under the default 6 MB payload limit, which streamed bytes count against. */
const CHUNKS = 64;
const CLIENTS = 4;

const SOURCE = `export default { fetch() {
  const chunk = new Uint8Array(${CHUNK}).fill(120);
  let left = ${CHUNKS};
  return new Response(new ReadableStream({ pull(c) { if (left-- === 0) c.close(); else c.enqueue(chunk); } }), { headers: { 'content-type': 'application/octet-stream' } });
} };`;

interface Read {
  readonly bytes: number;
  readonly ttfbMs: number;
}

/** One GET read to its end, timing its first body byte. */
function readOnce(url: string): Promise<Read> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first = 0;
    let bytes = 0;
    const req = httpRequest(url, (res) => {
      if (res.statusCode !== 200) reject(new Error(`GET ${url} answered ${res.statusCode}`));
      res.on('data', (d: Buffer) => {
        if (first === 0) first = performance.now();
        bytes += d.byteLength;
      });
      res.on('end', () => resolve({ bytes, ttfbMs: first - t0 }));
      res.on('error', reject);
    });
    req.setTimeout(30000, () => req.destroy(new Error('no answer in 30 s')));
    req.on('error', reject);
    req.end();
  });
}

/** CLIENTS loops reading whole responses for `seconds`; MB/s over the round, every TTFB. */
async function round(url: string, seconds: number): Promise<{ mbps: number; ttfbs: number[]; failures: number }> {
  const until = performance.now() + seconds * 1000;
  const t0 = performance.now();
  let bytes = 0;
  let failures = 0;
  const ttfbs: number[] = [];
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < until) {
        try {
          const r = await readOnce(url);
          if (r.bytes !== CHUNK * CHUNKS) failures++;
          bytes += r.bytes;
          ttfbs.push(r.ttfbMs);
        } catch {
          failures++;
        }
      }
    }),
  );
  return { mbps: bytes / 1e6 / ((performance.now() - t0) / 1000), ttfbs, failures };
}

export const streaming: Scenario = {
  id: 'streaming',
  title: 'Streaming response (4 MiB in 64 KiB chunks)',
  description:
    `GET of a function whose Response body is a ReadableStream producing ${CHUNKS} chunks of 64 KiB on pull, read by ` +
    `${CLIENTS} clients in a loop, each response read to its end as it arrives; raw node:http writes the same chunks ` +
    'to the socket as it takes them (chunked, backpressure honoured). Throughput is MB of body delivered per second over ' +
    'a round; time to first byte is from the request sent to the first body byte.',
  async run(s: Settings, rec: Recorder) {
    rec.metric({ id: 'throughput', label: 'Body throughput', unit: 'MB/s', better: 'higher', kind: 'rate' });
    rec.metric({ id: 'ttfb', label: 'Time to first byte', unit: 'ms', better: 'lower', kind: 'latency' });
    const started: Array<HttpTarget | null> = [];
    try {
      started.push(await attempt(s, rec, RAW, 'all figures', () => startRaw()));
      started.push(await nimbusWith(s, rec, 'all figures', { stream: SOURCE }, BENCH_CONFIG));
      const running = started.filter((t): t is HttpTarget => t !== null);
      const check = new Map<string, boolean>();
      for (const t of running) {
        const r = await readOnce(t.baseUrl + t.fnPath('stream'));
        check.set(t.info.id, r.bytes === CHUNK * CHUNKS);
        if (r.bytes !== CHUNK * CHUNKS) rec.skip(t.info.id, 'all figures', `answered ${r.bytes} bytes, not ${CHUNK * CHUNKS}`);
      }
      const measured = running.filter((t) => check.get(t.info.id));
      for (const t of measured) await round(t.baseUrl + t.fnPath('stream'), s.warmupSec);
      for (let i = 1; i <= s.rounds; i++) {
        for (const t of measured) {
          const r = await round(t.baseUrl + t.fnPath('stream'), s.durationSec);
          rec.round('throughput', t.info.id, r.mbps);
          for (const ms of r.ttfbs) rec.sample('ttfb', t.info.id, ms);
          s.log(`  round ${i}/${s.rounds} ${t.info.id.padEnd(12)} ${r.mbps.toFixed(0).padStart(6)} MB/s  responses ${r.ttfbs.length}${r.failures ? `  ⚠ ${r.failures} failed` : ''}`);
        }
      }
      return { targets: measured.map((t) => t.info), settings: { chunkBytes: CHUNK, chunks: CHUNKS, clients: CLIENTS }, headline: 'throughput' };
    } finally {
      await stopAll(started);
    }
  },
};

