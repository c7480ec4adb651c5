import { availableParallelism } from 'node:os';
import { calibrate, cpuSource, work } from '../lib/functions.ts';
import type { Scenario } from '../lib/scenario.ts';
import { runHttpLoad } from './http-load.ts';

export const cpuBound: Scenario = {
  id: 'cpu-bound',
  title: 'CPU-bound function (~1 ms of work)',
  description:
    'GET of a function that runs a fixed integer loop calibrated at the start of the run to take ~1 ms in plain Node ' +
    '(the same iteration count is baked into every target). autocannon, 16 connections. ' +
    'Shows what the platform adds when the function, not the request path, dominates. ' +
    'The single raw node:http process is one JavaScript thread; a server that spreads work over threads or processes ' +
    '(Nimbus calls isolates through isolated-vm\'s asynchronous apply, which runs on isolated-vm\'s own threads) can beat it, ' +
    'so raw node:http with one process per core (node:cluster) is measured too: that is the limit of the machine.',
  async run(s, rec) {
    const iterations = calibrate(1);
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) work(iterations);
    const perCallMs = (performance.now() - t0) / 20;
    s.log(`  calibrated: ${iterations} iterations ≈ ${perCallMs.toFixed(2)} ms here`);
    const out = await runHttpLoad(s, rec, {
      fn: 'cpu',
      source: cpuSource(iterations),
      raw: { cpuIterations: iterations },
      connections: 16,
      request: { method: 'GET' },
      rawProcesses: availableParallelism(),
    });
    return { ...out, settings: { ...out.settings, iterations, calibratedMs: Math.round(perCallMs * 1000) / 1000 } };
  },
};
