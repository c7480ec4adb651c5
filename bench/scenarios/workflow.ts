/**
 * Workflow transitions: the same Amazon States Language definitions run to completion
 * on Nimbus's workflow engine and on aws-local-stepfunctions, driven over HTTP with the
 * same load. Two shapes: a 1,000-state Pass chain (pure engine transitions) and 10 Task states
 * (each a function call to the step handler).
 */
import { interleavedLoad, type LoadTarget } from '../lib/rounds.ts';
import { deepStrictEqual as deepEqual } from 'node:assert';
import { request } from '../lib/http.ts';
import type { Recorder } from '../lib/results.ts';
import type { Scenario, Settings } from '../lib/scenario.ts';
import { nimbusMissing } from '../targets/nimbus.ts';
import { SFN, startStepFunctions } from '../targets/stepfunctions.ts';
import { NIMBUS, type HttpTarget } from '../targets/types.ts';
import { attempt, nimbusWith, stopAll } from './common.ts';
import { nimbusWorkflows } from './nimbus-workflows.ts';
import { stepSource } from '../lib/functions.ts';

const PASS_STATES = 1000; // issue 6: "a 1,000-state Pass chain"
const TASK_STATES = 10;
const CONNECTIONS = 10;

type Asl = { StartAt: string; States: Record<string, Record<string, unknown>> };

function chain(n: number, state: (i: number) => Record<string, unknown>): Asl {
  const States: Asl['States'] = {};
  for (let i = 1; i <= n; i++) States[`S${i}`] = { ...state(i), ...(i < n ? { Next: `S${i + 1}` } : { End: true }) };
  return { StartAt: 'S1', States };
}

export const passChain = () => chain(PASS_STATES, () => ({ Type: 'Pass' }));
/** `resource` names the step function in the engine's own terms. */
export const taskChain = (resource: string) => chain(TASK_STATES, () => ({ Type: 'Task', Resource: resource }));

const SFN_STEP = 'arn:aws:lambda:us-east-1:123456789012:function:step';
const INPUT = JSON.stringify({ order: 42, items: [1, 2, 3], steps: 0 });

/** Runs each (target, shape) once; drops the ones whose output differs from the expected. */
async function sameOutputs(
  s: Settings,
  rec: Recorder,
  targets: readonly LoadTarget[],
  unwrap: ReadonlyMap<string, (answer: unknown) => unknown>,
): Promise<LoadTarget[]> {
  const input = JSON.parse(INPUT) as Record<string, unknown>;
  const expected: Record<string, unknown> = { pass: input, task: { ...input, steps: TASK_STATES } };
  const ok: LoadTarget[] = [];
  for (const t of targets) {
    const shape = t.group!.prefix.replace(/-$/, '');
    const req = t.requests[0];
    const r = await request(t.baseUrl + req.path, { method: 'POST', body: req.body, headers: { 'content-type': 'application/json', ...req.headers } }).catch(
      (e: Error) => ({ status: 0, body: e.message }),
    );
    let why: string | null = null;
    if (r.status !== 200) why = `answered HTTP ${r.status}: ${r.body.slice(0, 200)}`;
    else {
      try {
        const answer = JSON.parse(r.body) as unknown;
        deepEqual((unwrap.get(t.info.id) ?? ((a: unknown) => a))(answer), expected[shape]);
      } catch {
        why = `output ${r.body.slice(0, 120)} differs from the expected ${JSON.stringify(expected[shape])}`;
      }
    }
    if (why) {
      s.log(`  ${t.info.id} ${shape}: not measured: ${why}`);
      rec.skip(t.info.id, `${shape} workflow`, why);
    } else ok.push(t);
  }
  return ok;
}

export const workflow: Scenario = {
  id: 'workflow',
  title: 'Workflow transitions',
  description:
    `Executions of the same ASL definitions, run to completion and answered synchronously, under ${CONNECTIONS} concurrent ` +
    `clients (autocannon). "pass": ${PASS_STATES} Pass states (engine transitions only). "task": ${TASK_STATES} Task states, ` +
    'each calling the step function (in Nimbus: a deployed function; in aws-local-stepfunctions: the same handler in-process). ' +
    'Transitions per second = executions per second × states. The ratio baseline here is aws-local-stepfunctions.',
  async run(s, rec) {
    const started: Array<HttpTarget | null> = [];
    const loadTargets: LoadTarget[] = [];
    const unwrap = new Map<string, (answer: unknown) => unknown>();
    try {
      const sfn = await attempt(s, rec, SFN, 'all figures', () =>
        startStepFunctions({ pass: passChain(), task: taskChain(SFN_STEP) }),
      );
      started.push(sfn);
      if (sfn) {
        loadTargets.push(
          { info: sfn.info, baseUrl: sfn.baseUrl, requests: [{ path: sfn.fnPath('pass'), method: 'POST', body: INPUT }], group: { prefix: 'pass-', suffix: ` (${PASS_STATES} Pass states)` } },
          { info: sfn.info, baseUrl: sfn.baseUrl, requests: [{ path: sfn.fnPath('task'), method: 'POST', body: INPUT }], group: { prefix: 'task-', suffix: ` (${TASK_STATES} Task states)` } },
        );
      }
      if (!nimbusMissing()) {
        const nb = await nimbusWith(s, rec, 'all figures', { step: stepSource() });
        started.push(nb);
        if (nb) {
          const api = await attempt(s, rec, NIMBUS, 'all figures', () => nimbusWorkflows(nb));
          if (api) {
            const ok = await attempt(s, rec, NIMBUS, 'all figures', async () => {
              await api.deploy('pass', passChain());
              await api.deploy('task', taskChain(api.resourceFor('step')));
              if (api.resourceFor('step') !== SFN_STEP) rec.note(`Task Resource: ${SFN_STEP} for aws-local-stepfunctions, ${api.resourceFor('step')} for Nimbus.`);
              return true;
            });
            if (ok) {
              for (const [name, n, label] of [['pass', PASS_STATES, 'Pass'], ['task', TASK_STATES, 'Task']] as const) {
                loadTargets.push({
                  info: NIMBUS,
                  baseUrl: nb.baseUrl,
                  requests: [{ path: api.runPath(name), method: 'POST', body: api.runBody(JSON.parse(INPUT)), headers: api.headers }],
                  group: { prefix: `${name}-`, suffix: ` (${n} ${label} states)` },
                });
                unwrap.set(NIMBUS.id, (a) => api.outputOf(a));
              }
            }
          }
        }
      } else {
        rec.skip(NIMBUS.id, 'all figures', nimbusMissing()!);
      }
      const checked = await sameOutputs(s, rec, loadTargets, unwrap);
      await interleavedLoad(s, rec, checked, { connections: CONNECTIONS });
      rec.derive('pass-throughput', { id: 'pass-transitions', label: `State transitions per second (${PASS_STATES} Pass states)`, unit: 'transitions/s', better: 'higher', kind: 'rate' }, (v) => v * PASS_STATES);
      rec.derive('pass-latency', { id: 'pass-per-transition', label: `Latency per transition (${PASS_STATES} Pass states: execution p50 ÷ states)`, unit: 'ms', better: 'lower', kind: 'time' }, (v) => v / PASS_STATES);
      rec.derive('task-latency', { id: 'task-per-transition', label: `Latency per transition (${TASK_STATES} Task states: execution p50 ÷ states)`, unit: 'ms', better: 'lower', kind: 'time' }, (v) => v / TASK_STATES);
      rec.derive('task-throughput', { id: 'task-transitions', label: `State transitions per second (${TASK_STATES} Task states)`, unit: 'transitions/s', better: 'higher', kind: 'rate' }, (v) => v * TASK_STATES);
      return {
        targets: [...new Map(checked.map((t) => [t.info.id, t.info])).values()],
        settings: { connections: CONNECTIONS, passStates: PASS_STATES, taskStates: TASK_STATES },
        baseline: SFN.id,
        headline: 'task-transitions',
      };
    } finally {
      await stopAll(started);
    }
  },
};
