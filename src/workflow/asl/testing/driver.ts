/**
 * An in-memory host for the step interpreter: runs a machine to completion against fake
 * task functions in virtual time. Used by the conformance suite and by benchmarks.
 *
 *   const r = await runToCompletion(machine, { n: 1 }, { Add: (x) => x.a + x.b });
 *   r.status, r.output, r.error, r.history, r.transitions, r.elapsedMs
 *
 * A fake task receives the payload (a copy) and returns the output, or throws
 * `{ name, message }` (any Error works: name → Error, message → Cause). Function targets
 * are looked up as "name:qualifier", then "name"; HTTP targets as "METHOD url", then "http".
 * Every task takes `latencyMs` of virtual time (default 0); timers fire when due.
 */
import type { FakeClock } from '../../../core/clock.ts';
import { apply, start } from '../interpreter/api.ts';
import { toJson } from '../json.ts';
import type { StateMachine } from '../model.ts';
import { parseStateMachine } from '../parse/validate.ts';
import { seededRandom } from '../random.ts';
import type {
  AslEvent,
  Command,
  ExecutionStatus,
  HistoryEvent,
  InvokeTaskCommand,
  Json,
  Snapshot,
  Step,
} from '../types.ts';

export interface FakeTaskCall {
  readonly command: InvokeTaskCommand;
  /** Virtual time of the call, epoch ms. */
  readonly now: number;
}

export type FakeTask = (input: Json, call: FakeTaskCall) => unknown;
export type FakeTasks = Readonly<Record<string, FakeTask>>;

export interface RunOptions {
  readonly executionId?: string;
  readonly name?: string;
  /** Virtual start time, epoch ms (default 2023-11-14T22:13:20Z, FakeClock's default). */
  readonly startTime?: number;
  /** A FakeClock to follow: the run starts at its time and advances it as virtual time passes. */
  readonly clock?: FakeClock;
  /** Seed of the per-step random sources (default "nimbus"). */
  readonly seed?: string | number;
  /** Virtual time each task takes, in ms (default 0). */
  readonly latencyMs?: number | ((command: InvokeTaskCommand) => number);
  /** Sends StopRequested this many virtual ms after the start. */
  readonly stopAfterMs?: number;
  /** Safety net against runaway executions (default 200 000 steps). */
  readonly maxSteps?: number;
  /** Called with every step (start, each apply), e.g. to journal or inspect. */
  readonly onStep?: (step: Step, event: AslEvent | null) => void;
  /** Copy the snapshot on every apply instead of updating it in place (checks purity; slower). */
  readonly copySnapshots?: boolean;
}

export interface RunResult {
  readonly status: ExecutionStatus;
  readonly output?: Json;
  readonly error?: string;
  readonly cause?: string;
  readonly history: HistoryEvent[];
  /** State transitions (state entries and retries). */
  readonly transitions: number;
  /** start + apply calls. */
  readonly steps: number;
  /** Virtual time from start to the end. */
  readonly elapsedMs: number;
  readonly invocations: InvokeTaskCommand[];
  readonly commands: Command[];
  readonly snapshot: Snapshot;
  /** True when the execution is still RUNNING but nothing is outstanding. */
  readonly stuck: boolean;
}

interface Queued {
  readonly at: number;
  readonly seq: number;
  readonly event: AslEvent;
  readonly key: string;
}

function findFake(tasks: FakeTasks, c: InvokeTaskCommand): FakeTask | undefined {
  const t = c.target;
  if (t.kind === 'function') {
    return (t.qualifier !== undefined ? tasks[`${t.name}:${t.qualifier}`] : undefined) ?? tasks[t.name];
  }
  return tasks[`${t.method} ${t.url}`] ?? tasks.http;
}

function errorOf(thrown: unknown): { error: string; cause: string } {
  if (typeof thrown === 'object' && thrown !== null) {
    const o = thrown as Record<string, unknown>;
    const error = typeof o.error === 'string' ? o.error : typeof o.name === 'string' ? o.name : 'Error';
    const cause = typeof o.cause === 'string' ? o.cause : typeof o.message === 'string' ? o.message : '';
    return { error, cause };
  }
  return { error: 'Error', cause: String(thrown) };
}

export async function runToCompletion(
  machineOrDefinition: StateMachine | string | object,
  input: unknown,
  tasks: FakeTasks = {},
  options: RunOptions = {},
): Promise<RunResult> {
  const machine =
    typeof machineOrDefinition === 'object' && machineOrDefinition !== null && 'scopes' in machineOrDefinition
      ? (machineOrDefinition as StateMachine)
      : parseStateMachine(machineOrDefinition as string | object);
  const startTime = options.clock?.now() ?? options.startTime ?? 1_700_000_000_000;
  const seed = options.seed ?? 'nimbus';
  const maxSteps = options.maxSteps ?? 200_000;
  const latency = options.latencyMs ?? 0;
  let now = startTime;
  let steps = 0;
  let seq = 0;
  const queue: Queued[] = [];
  const history: HistoryEvent[] = [];
  const invocations: InvokeTaskCommand[] = [];
  const commands: Command[] = [];
  let transitions = 0;

  const enqueue = (at: number, event: AslEvent, key: string): void => {
    queue.push({ at, seq: seq++, event, key });
  };
  const drop = (key: string): void => {
    for (let i = queue.length - 1; i >= 0; i--) if (queue[i].key === key) queue.splice(i, 1);
  };

  const perform = async (step: Step): Promise<void> => {
    history.push(...step.history);
    transitions += step.transitions;
    for (const c of step.commands) {
      commands.push(c);
      switch (c.type) {
        case 'InvokeTask': {
          invocations.push(c);
          const fake = findFake(tasks, c);
          const delay = typeof latency === 'function' ? latency(c) : latency;
          let event: AslEvent;
          if (fake === undefined) {
            const name = c.target.kind === 'function' ? c.target.name : `${c.target.method} ${c.target.url}`;
            event = { type: 'TaskFailed', taskId: c.taskId, error: 'Nimbus.FakeTaskMissing', cause: `no fake task for ${name}` };
          } else {
            try {
              const out = await fake(structuredClone(c.payload), { command: c, now });
              event = { type: 'TaskSucceeded', taskId: c.taskId, output: out === undefined ? null : (toJson(out) ?? null) };
            } catch (thrown) {
              event = { type: 'TaskFailed', taskId: c.taskId, ...errorOf(thrown) };
            }
          }
          enqueue(now + Math.max(0, delay), event, `task:${c.taskId}`);
          break;
        }
        case 'CancelTask':
          drop(`task:${c.taskId}`);
          break;
        case 'StartTimer':
          enqueue(Math.max(now, c.fireAt), { type: 'TimerFired', timerId: c.timerId }, `timer:${c.timerId}`);
          break;
        case 'CancelTimer':
          drop(`timer:${c.timerId}`);
          break;
        default:
          break;
      }
    }
  };

  let step = await start(machine, input, { executionId: options.executionId ?? 'exec-1', name: options.name }, now, seededRandom(`${seed}:0`));
  steps++;
  options.onStep?.(step, null);
  await perform(step);
  let snapshot = step.snapshot;
  if (options.stopAfterMs !== undefined) enqueue(startTime + options.stopAfterMs, { type: 'StopRequested' }, 'stop');

  while (snapshot.status === 'RUNNING' && queue.length > 0) {
    if (steps >= maxSteps) throw new Error(`runToCompletion: more than ${maxSteps} steps; raise options.maxSteps or look for a loop`);
    let best = 0;
    for (let i = 1; i < queue.length; i++) {
      const q = queue[i];
      const b = queue[best];
      if (q.at < b.at || (q.at === b.at && q.seq < b.seq)) best = i;
    }
    const next = queue.splice(best, 1)[0];
    if (next.at > now) {
      options.clock?.advance(next.at - now);
      now = next.at;
    }
    step = await apply(machine, snapshot, next.event, now, seededRandom(`${seed}:${steps}`), { inPlace: options.copySnapshots !== true });
    steps++;
    options.onStep?.(step, next.event);
    await perform(step);
    snapshot = step.snapshot;
  }

  const result: RunResult = {
    status: snapshot.status,
    history,
    transitions,
    steps,
    elapsedMs: now - startTime,
    invocations,
    commands,
    snapshot,
    stuck: snapshot.status === 'RUNNING',
    ...(snapshot.output !== undefined ? { output: snapshot.output } : {}),
    ...(snapshot.error !== undefined ? { error: snapshot.error } : {}),
    ...(snapshot.cause !== undefined ? { cause: snapshot.cause } : {}),
  };
  return result;
}
