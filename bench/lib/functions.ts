/** The function sources every target runs, read from bench/functions/. */
import { readFileSync } from 'node:fs';

const dir = new URL('../functions/', import.meta.url);
const read = (f: string) => readFileSync(new URL(f, dir), 'utf8');

export const helloSource = () => read('hello.js');
export const echoSource = () => read('echo.js');
export const stepSource = () => read('step.js');
export const cpuSource = (iterations: number) => read('cpu.js').replaceAll('__ITERATIONS__', String(iterations));
export const namedSource = (name: string, file = 'named.js') => {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`bench: bad function name ${name}`);
  return read(file).replaceAll('__NAME__', name);
};
/** namedSource with the Node layer: ten node: modules, as bench/micro/node-layer.ts's "full". */
export const namedNodeLayerSource = (name: string) => namedSource(name, 'node-layer.js');

/** The same xorshift loop as functions/cpu.js, for calibration in this process. */
export function work(n: number): number {
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x >>> 0;
}

/** Iterations of `work` that take about `targetMs` here (median of repeated timings). */
export function calibrate(targetMs = 1): number {
  let n = 200_000;
  for (let pass = 0; pass < 4; pass++) {
    const times: number[] = [];
    for (let i = 0; i < 41; i++) {
      const t0 = performance.now();
      work(n);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const med = times[20];
    n = Math.max(1000, Math.round((n * targetMs) / Math.max(med, 0.001)));
  }
  return n;
}

/** A JSON document of about `bytes` bytes (deterministic). */
export function jsonPayload(bytes: number): string {
  const items: Array<{ id: number; name: string; tags: string[]; score: number; active: boolean }> = [];
  let s = '';
  for (let i = 0; s.length < bytes - 80; i++) {
    items.push({ id: i, name: `item-${i}`, tags: ['alpha', 'beta', `t${i % 7}`], score: (i * 37) % 101, active: i % 2 === 0 });
    s = JSON.stringify({ items });
  }
  return s;
}
