/**
 * `nimbus wf deploy|start|ls|describe|history|stop|redrive|rm`: workflows (ASL state machines)
 * and their executions; `wf task-success|task-failure|task-heartbeat` (wf-tasks.ts). Reads take --json.
 */
import { readFileSync } from 'node:fs';
import { flag, has, jsonArg, onlyFlags, UsageError, type ParsedArgs } from '../args.ts';
import { ApiError, call, type ClientOptions } from '../client.ts';
import { print, printJson, table, time, visible, visibleLine } from '../format.ts';
import { TASK_USAGE, wfTask } from './wf-tasks.ts';

const USAGE = `usage: nimbus wf deploy <name> <definition.json|.yaml>
       nimbus wf start <name> [--input JSON|@file] [--name N] [--version V] [--wait]
       nimbus wf ls [workflow] [--executions] [--status RUNNING|SUCCEEDED|FAILED|TIMED_OUT|ABORTED] [--limit N]
       nimbus wf describe <execution-id|workflow> | wf history <execution-id>
       nimbus wf stop <execution-id> [--error E] [--cause C] | wf redrive <execution-id>
       nimbus wf rm <name>      (deletes it with its executions and triggers; none may be running)
${TASK_USAGE}`;

interface ExecutionView {
  executionId: string;
  name: string;
  workflow: string;
  version: number;
  status: string;
  input: unknown;
  output: unknown;
  error: string | null;
  cause: string | null;
  startedAt: number;
  stoppedAt: number | null;
  transitions: number;
  historyEvents: number;
  redriveCount: number;
  waitingFor?: Array<{ kind: string; statePath?: string; idempotencyKey?: string; taskToken?: string | null; purpose?: string; fireAt?: number }>;
}

const enc = encodeURIComponent;

const inputArg = (raw: string | undefined): unknown => (raw === undefined ? {} : jsonArg(raw, '--input', `--input '{"order":42}' or --input @input.json`));


function describeExecution(e: ExecutionView): string {
  const lines = [
    `${e.executionId}  ${e.workflow} v${e.version}  ${e.status}`,
    `  name         ${e.name}`,
    `  started      ${time(e.startedAt)}${e.stoppedAt !== null ? `   stopped ${time(e.stoppedAt)}` : ''}`,
    `  transitions  ${e.transitions}   history events ${e.historyEvents}${e.redriveCount ? `   redriven ${e.redriveCount}×` : ''}`,
    `  input        ${JSON.stringify(e.input)}`,
  ];
  if (e.status === 'SUCCEEDED') lines.push(`  output       ${JSON.stringify(e.output)}`);
  if (e.error !== null || e.cause !== null) lines.push(`  error        ${visible(`${e.error ?? ''}${e.cause ? ` — ${e.cause}` : ''}`, '               | ')}`);
  for (const w of e.waitingFor ?? []) {
    lines.push(
      w.kind === 'task'
        ? `  waiting for  task ${w.statePath} (key ${w.idempotencyKey})${w.taskToken ? `\n               task token ${w.taskToken}` : ''}`
        : `  waiting for  ${w.purpose ?? w.kind} timer at ${w.fireAt ? time(w.fireAt) : '?'}`,
    );
  }
  return lines.join('\n');
}

function executionTable(items: ExecutionView[]): string {
  return table(
    ['EXECUTION', 'WORKFLOW', 'VERSION', 'STATUS', 'STARTED', 'STOPPED', 'ERROR'],
    items.map((e) => [e.executionId, e.workflow, e.version, e.status, time(e.startedAt), e.stoppedAt !== null ? time(e.stoppedAt) : '', visibleLine((e.error ?? '').slice(0, 60))]),
  );
}

export async function wf(client: ClientOptions, args: ParsedArgs): Promise<number> {
  const [sub, a, b] = args.positionals;
  const json = has(args, 'json');
  switch (sub) {
    case 'deploy': {
      onlyFlags(args, ['json']);
      if (!a || !b) throw new UsageError(USAGE);
      let text: string;
      try {
        text = readFileSync(b, 'utf8');
      } catch (error) {
        throw new UsageError(`cannot read ${b}: ${(error as Error).message}`);
      }
      try {
        const res = (await call(client, 'PUT', `/api/v1/workflows/${enc(a)}`, { definition: text })).body as { name: string; version: number; created: boolean };
        if (json) return (printJson(res), 0);
        print(res.created ? `deployed ${res.name} version ${res.version}` : `${res.name} unchanged (version ${res.version})`);
        return 0;
      } catch (error) {
        if (error instanceof ApiError && Array.isArray(error.problem.errors)) {
          process.stderr.write(`nimbus: ${b} is not a valid state machine:\n`);
          for (const e of error.problem.errors as Array<{ path?: string; state?: string; field?: string; message?: string }>) {
            process.stderr.write(`  ${e.state ? `state ${e.state}` : '(top level)'}${e.field ? `, ${e.field}` : ''}: ${e.message}${e.path ? `  [${e.path}]` : ''}\n`);
          }
          return 1;
        }
        throw error;
      }
    }
    case 'start': {
      onlyFlags(args, ['input', 'name', 'version', 'wait', 'json']);
      if (!a) throw new UsageError(USAGE);
      const body: Record<string, unknown> = { input: inputArg(flag(args, 'input')) };
      if (flag(args, 'name')) body.name = flag(args, 'name');
      if (flag(args, 'version')) body.version = Number(flag(args, 'version'));
      if (has(args, 'wait')) {
        const res = await call(client, 'POST', `/api/v1/workflows/${enc(a)}/run`, body);
        if (json) return (printJson(res.body), 0);
        const r = res.body as { executionId: string; status: string; output?: unknown };
        // The id first, as without --wait: `wf history` / `wf describe` need it next.
        print(res.status === 202 ? `${r.executionId}  still running; \`nimbus wf describe ${r.executionId}\`` : `${r.executionId}  ${r.status}\n${JSON.stringify(r.output, null, 2)}`);
        return 0;
      }
      const e = (await call(client, 'POST', `/api/v1/workflows/${enc(a)}/executions`, body)).body as ExecutionView;
      if (json) return (printJson(e), 0);
      print(`${e.executionId}  ${e.status}`);
      return 0;
    }
    case 'rm': {
      onlyFlags(args, ['json']);
      if (!a) throw new UsageError(USAGE);
      await call(client, 'DELETE', `/api/v1/workflows/${enc(a)}`);
      if (json) return (printJson({ deleted: a }), 0);
      print(`✓ deleted workflow ${a}`);
      return 0;
    }
    case 'ls': {
      onlyFlags(args, ['executions', 'status', 'limit', 'json']);
      if (!a && !has(args, 'executions') && !flag(args, 'status')) {
        const { items } = (await call(client, 'GET', '/api/v1/workflows')).body as { items: Array<{ name: string; currentVersion: number; updatedAt: number }> };
        if (json) return (printJson(items), 0);
        print(items.length === 0 ? 'no workflows; `nimbus wf deploy <name> <file>` adds one' : table(['WORKFLOW', 'VERSION', 'UPDATED'], items.map((w) => [w.name, w.currentVersion, time(w.updatedAt)])));
        return 0;
      }
      const q = new URLSearchParams({ limit: flag(args, 'limit') ?? '50' });
      if (a) q.set('workflow', a);
      if (flag(args, 'status')) q.set('status', flag(args, 'status')!.toUpperCase());
      const { items } = (await call(client, 'GET', `/api/v1/executions?${q}`)).body as { items: ExecutionView[] };
      if (json) return (printJson(items), 0);
      print(items.length === 0 ? 'no executions' : executionTable(items));
      return 0;
    }
    case 'describe': {
      onlyFlags(args, ['json']);
      if (!a) throw new UsageError(USAGE);
      try {
        const e = (await call(client, 'GET', `/api/v1/executions/${enc(a)}`)).body as ExecutionView;
        if (json) return (printJson(e), 0);
        print(describeExecution(e));
        return 0;
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 404) throw error;
      }
      const w = (await call(client, 'GET', `/api/v1/workflows/${enc(a)}`)).body as { name: string; currentVersion: number; running: number; versions: Array<{ version: number; createdAt: number }>; definition: unknown };
      if (json) return (printJson(w), 0);
      print(
        [
          `${w.name}  version ${w.currentVersion}  (${w.running} running)`,
          ...w.versions.map((v) => `  v${v.version}  ${time(v.createdAt)}`),
          ...JSON.stringify(w.definition, null, 2).split('\n').map((l) => '  ' + l),
        ].join('\n'),
      );
      return 0;
    }
    case 'history': {
      onlyFlags(args, ['json', 'limit']);
      if (!a) throw new UsageError(USAGE);
      const q = new URLSearchParams({ limit: flag(args, 'limit') ?? '1000' });
      const { events } = (await call(client, 'GET', `/api/v1/executions/${enc(a)}/history?${q}`)).body as { events: Array<Record<string, unknown>> };
      if (json) return (printJson(events), 0);
      print(
        table(
          ['ID', 'TIME', 'TYPE', 'STATE', 'DETAILS'],
          events.map((e) => {
            const detailKey = Object.keys(e).find((k) => k.endsWith('EventDetails'));
            return [e.id as number, String(e.timestamp), String(e.type), String(e.statePath ?? ''), detailKey ? visibleLine(JSON.stringify(e[detailKey]).slice(0, 100)) : ''];
          }),
        ),
      );
      return 0;
    }
    case 'stop': {
      onlyFlags(args, ['error', 'cause', 'json']);
      if (!a) throw new UsageError(USAGE);
      const body: Record<string, string> = {};
      if (flag(args, 'error')) body.error = flag(args, 'error')!;
      if (flag(args, 'cause')) body.cause = flag(args, 'cause')!;
      const e = (await call(client, 'POST', `/api/v1/executions/${enc(a)}/stop`, body)).body as ExecutionView;
      if (json) return (printJson(e), 0);
      print(`${e.executionId}  ${e.status}`);
      return 0;
    }
    case 'redrive': {
      onlyFlags(args, ['json']);
      if (!a) throw new UsageError(USAGE);
      const e = (await call(client, 'POST', `/api/v1/executions/${enc(a)}/redrive`)).body as ExecutionView;
      if (json) return (printJson(e), 0);
      print(`${e.executionId}  ${e.status} (redrive ${e.redriveCount})`);
      return 0;
    }
    case 'task-success':
    case 'task-failure':
    case 'task-heartbeat':
      return wfTask(client, sub, args);
    default:
      throw new UsageError(USAGE);
  }
}
