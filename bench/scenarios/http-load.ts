/**
 * The shape shared by the warm request scenarios: start raw node, workerd and Nimbus with
 * the same function, check they give the same answer, then interleaved load rounds.
 */
import type { LoadRequest } from '../lib/load.ts';
import { interleavedLoad } from '../lib/rounds.ts';
import { describeMemory } from '../lib/proc.ts';
import type { Recorder } from '../lib/results.ts';
import type { ScenarioOutput, Settings } from '../lib/scenario.ts';
import { startRaw, type RawOptions } from '../targets/raw-node.ts';
import { RAW, RAW_CLUSTER, WORKERD, type HttpTarget } from '../targets/types.ts';
import { startWorkerd } from '../targets/workerd.ts';
import { BENCH_CONFIG, attempt, nimbusWith, sameAnswers, stopAll } from './common.ts';

export interface HttpLoadSpec {
  readonly fn: string;
  readonly source: string;
  readonly raw?: RawOptions;
  readonly connections: number;
  readonly request: Omit<LoadRequest, 'path'>;
  /** Also measure raw node with this many processes (node:cluster). */
  readonly rawProcesses?: number;
}

export async function runHttpLoad(s: Settings, rec: Recorder, spec: HttpLoadSpec): Promise<ScenarioOutput> {
  const what = 'all figures';
  const started: Array<HttpTarget | null> = [];
  try {
    started.push(await attempt(s, rec, RAW, what, () => startRaw(spec.raw)));
    if (spec.rawProcesses && spec.rawProcesses > 1) {
      started.push(await attempt(s, rec, RAW_CLUSTER, what, () => startRaw({ ...spec.raw, processes: spec.rawProcesses })));
    }
    started.push(await attempt(s, rec, WORKERD, what, () => startWorkerd({ workers: [{ name: spec.fn, source: spec.source }], probe: { path: `/fn/${spec.fn}/`, ...spec.request } })));
    started.push(await nimbusWith(s, rec, what, { [spec.fn]: spec.source }));
    const running = await sameAnswers(
      s,
      rec,
      what,
      started.filter((t): t is HttpTarget => t !== null),
      { name: spec.fn, ...spec.request },
    );
    await interleavedLoad(
      s,
      rec,
      running.map((t) => ({
        info: t.info,
        baseUrl: t.baseUrl,
        requests: [{ ...spec.request, path: t.fnPath(spec.fn) }],
        memory: () => t.memory(),
        pid: t.pid,
      })),
      { connections: spec.connections },
    );
    for (const t of running) {
      const parts = describeMemory(t.pid);
      if (parts.includes(',')) rec.note(`${t.info.label}: memory is the sum over its processes, after the last round: ${parts}.`);
    }
    return {
      targets: running.map((t) => t.info),
      settings: {
        connections: spec.connections,
        method: spec.request.method ?? 'GET',
        requestBytes: spec.request.body?.length ?? 0,
        nimbusConfig: JSON.stringify(BENCH_CONFIG),
      },
    };
  } finally {
    await stopAll(started);
  }
}
