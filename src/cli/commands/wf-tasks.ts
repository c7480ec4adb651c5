/**
 * `nimbus wf task-success|task-failure|task-heartbeat <token>`: the callback API of
 * `.waitForTaskToken` tasks (Step Functions' SendTaskSuccess / SendTaskFailure /
 * SendTaskHeartbeat). The token is what the task received as `$$.Task.Token`
 * (`nimbus wf describe <execution>` shows it for a waiting task).
 */
import { flag, has, jsonArg, onlyFlags, UsageError, type ParsedArgs } from '../args.ts';
import { call, type ClientOptions } from '../client.ts';
import { print, printJson } from '../format.ts';

export const TASK_USAGE = `       nimbus wf task-success <token> [--output JSON|@file] | wf task-failure <token> [--error E] [--cause C] | wf task-heartbeat <token>`;

function outputArg(raw: string | undefined): unknown {
  return raw === undefined ? null : jsonArg(raw, '--output', `--output '{"approved":true}' or --output @result.json`);
}

export async function wfTask(client: ClientOptions, sub: 'task-success' | 'task-failure' | 'task-heartbeat', args: ParsedArgs): Promise<number> {
  const token = args.positionals[1];
  const json = has(args, 'json');
  let body: Record<string, unknown> | undefined;
  let what: string;
  if (sub === 'task-success') {
    onlyFlags(args, ['output', 'json']);
    body = { output: outputArg(flag(args, 'output')) };
    what = 'succeeded';
  } else if (sub === 'task-failure') {
    onlyFlags(args, ['error', 'cause', 'json']);
    body = {};
    if (flag(args, 'error') !== undefined) body.error = flag(args, 'error');
    if (flag(args, 'cause') !== undefined) body.cause = flag(args, 'cause');
    what = 'failed';
  } else {
    onlyFlags(args, ['json']);
    what = 'heartbeat recorded';
  }
  if (!token) throw new UsageError(`usage:\n${TASK_USAGE}`);
  const action = sub.slice('task-'.length);
  const res = (await call(client, 'POST', `/api/v1/tasks/${encodeURIComponent(token)}/${action}`, body)).body as { executionId: string };
  if (json) return (printJson(res), 0);
  print(`task ${what} (execution ${res.executionId})`);
  return 0;
}
