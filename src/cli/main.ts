/**
 * `nimbus`: the command line. Exit codes: 0 ok, 1 the platform or function said no,
 * 2 usage error, 3 the platform cannot be reached.
 */
import { readFileSync } from 'node:fs';
import { isNimbusError } from '../core/errors.ts';
import { flag, has, parseArgs, UsageError, type ParsedArgs } from './args.ts';
import { ApiError, ConnectError, resolveClient, type ClientOptions } from './client.ts';
import { exitQuietlyOnClosedStdout } from './format.ts';
import { deploy } from './commands/deploy.ts';
import { asyncStatus, dlq } from './commands/dlq.ts';
import { awsKeys } from './commands/aws-keys.ts';
import { events, topics } from './commands/events.ts';
import { subscriptions, triggers } from './commands/triggers.ts';
import { info, ls, rm } from './commands/functions.ts';
import { invocations, show } from './commands/invocations.ts';
import { invoke } from './commands/invoke.ts';
import { scale } from './commands/scale.ts';
import { alerts, logs, top, usage } from './commands/observe.ts';
import { up } from './commands/up.ts';
import { wf } from './commands/workflows.ts';

const HELP = `nimbus — serverless functions on your machine

  nimbus up [--port 8080] [--host 127.0.0.1] [--data .nimbus]   start the platform (npm start)
  nimbus deploy <name> <file-or-dir> [--memory 128] [--timeout 10s] [--cpu 5s]
                [--env K=V]… [--concurrency 10] [--target 7] [--min 0] [--max 100] [--idle 60s]
  nimbus invoke <name> [--data '{"k":"v"}' | --data @event.json]
  nimbus ls                        list functions
  nimbus info <name>               versions, limits, scaling, live instances, last decisions
  nimbus scale <name> [--min N] [--max N] [--target N] [--concurrency N] [--idle 30s] [--reset]
                                   change scaling live (no new version); no flags: show it
  nimbus invocations [name]        recent invocation records [--limit 20] [--status error]
  nimbus show <invocation-id>      one record with its logs
  nimbus rm <name>                 delete a function

  nimbus invoke <name> --async [--key K]          queue it (202 + id); --key: Idempotency-Key
  nimbus async ls [name] [--state dead] | async show <id>   status of async invocations
  nimbus dlq ls [name] | dlq show <id> | dlq redrive <id> | dlq redrive --all [--function name] | dlq rm <id>
  nimbus triggers ls [name] | triggers rm <id>    timers (with next fire times) and subscriptions
  nimbus triggers add <name> --schedule '*/5 * * * *' [--tz Europe/Berlin] [--missed skip|run-once]
  nimbus triggers add <name> --topic orders [--type T] [--source-prefix P] [--subject S]…
  nimbus triggers add --workflow <wf> --schedule … | --topic …   start a workflow execution per tick / event
  nimbus topics [ls] | topics create <topic> | topics rm <topic>      subscriptions [topic]
  nimbus events publish <topic> --type T --source S [--subject S] [--data JSON|@file | --text T|@file]
  nimbus wf deploy <name> <file.json|yaml> | wf start <name> [--input JSON|@file] [--name N] [--wait]
  nimbus wf ls [workflow] [--executions] [--status S] | wf describe <id|workflow> | wf history <id>
  nimbus wf stop <id> [--error E] [--cause C] | wf redrive <id>     workflows (Amazon States Language)
  nimbus logs [name] [--follow] [--since 15m] [--level warn] [--grep text] [--invocation id]
                                   function logs (live with --follow, over Server-Sent Events)
  nimbus top [--window 10s]        live per-function table: rps, p50/p99, errors, instances, cold starts
  nimbus usage [--since 7d] [--by function|day|hour|function-day] [--function f] [--csv]
                                   requests, GB-seconds, CPU, instance occupancy and cost
  nimbus alerts [ls] | alerts events [--rule R] | alerts rm <name>
  nimbus alerts set <name> --metric error_rate|p99_duration_ms|throttles|dlq_size|cost_per_day
                --threshold N [--function f] [--window 5m] [--op '>'] [--for 1m]
  Prometheus metrics: GET /metrics on the platform's port, with the API token (or --metrics-public).
  nimbus token                     print the API token (for curl)
  nimbus aws-keys create [--description D] [--json] | aws-keys ls | aws-keys rm <id>
                                   keys for the AWS Lambda / Step Functions APIs (docs/aws.md)

  Every read command takes --json. Connection: --url / NIMBUS_URL (default http://127.0.0.1:8080),
  token: --token / NIMBUS_TOKEN, else <data dir>/token (--data-dir / NIMBUS_DATA, default ./.nimbus).
`;

const BOOLEANS = new Set(['json', 'help', 'reset', 'async', 'all', 'wait', 'executions', 'follow', 'once', 'csv']);
// `--data` is the event of `nimbus invoke` (as the issue's tour has it), so the data directory
// (where the token lives) is `--data-dir` for client commands; `nimbus token --data DIR` also works.
const CONNECTION_FLAGS = ['url', 'token', 'data-dir'];

type Command = (client: ClientOptions, args: ParsedArgs) => Promise<number>;
const COMMANDS: Record<string, Command> = {
  deploy,
  invoke,
  ls,
  info,
  rm,
  invocations,
  show,
  scale,
  async: asyncStatus,
  dlq,
  triggers,
  topics,
  subscriptions,
  events,
  logs,
  top,
  usage,
  alerts,
  wf,
  'aws-keys': awsKeys,
};

function withoutConnectionFlags(args: ParsedArgs): ParsedArgs {
  const flags = new Map(args.flags);
  for (const f of CONNECTION_FLAGS) flags.delete(f);
  return { positionals: args.positionals, flags };
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === 'version') {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`nimbus ${pkg.version}\n`);
    return 0;
  }
  if (command === 'up') {
    // Once drained and stopped, leave even if a library left a handle open.
    process.exit(await up(rest));
  }
  // (`up` is not one of them: its drain must finish whatever happens to its stdout.)
  exitQuietlyOnClosedStdout();
  const args = parseArgs(rest, BOOLEANS);
  if (has(args, 'help')) {
    process.stdout.write(HELP);
    return 0;
  }
  const dataDir = flag(args, 'data-dir') ?? (command === 'token' ? flag(args, 'data') : undefined);
  const client = resolveClient({ url: flag(args, 'url'), token: flag(args, 'token'), data: dataDir }, process.env, process.cwd());
  if (command === 'token') {
    if (!client.token) throw new UsageError(`no token found at ${client.tokenSource}; start the platform once (npm start) or pass --data DIR`);
    process.stdout.write(client.token + '\n');
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) throw new UsageError(`unknown command "${command}"; \`nimbus help\` lists the commands`);
  return run(client, withoutConnectionFlags(args));
}

/** A build's errors under its message; the one the message already states shows only its source line. */
function printBuildErrors(message: string, errors: unknown): void {
  for (const e of (errors as Array<{ file?: string; line?: number; column?: number; text: string; lineText?: string }> | undefined) ?? []) {
    const where = `${e.file ?? ''}${e.line ? `:${e.line}:${e.column}` : ''}: ${e.text}`;
    if (!message.includes(where)) process.stderr.write(`  ${where}\n`);
    if (e.lineText) process.stderr.write(`    ${e.lineText}\n`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`nimbus: ${error.message}\n`);
      process.exitCode = 2;
    } else if (error instanceof ConnectError) {
      process.stderr.write(`nimbus: ${error.message}\n`);
      process.exitCode = 3;
    } else if (error instanceof ApiError) {
      const p = error.problem;
      process.stderr.write(`nimbus: ${error.message}${p.code ? ` [${String(p.code)}]` : ''}\n`);
      printBuildErrors(error.message, p.errors);
      process.exitCode = 1;
    } else if (isNimbusError(error)) {
      process.stderr.write(`nimbus: ${error.message}\n`);
      printBuildErrors(error.message, error.extra.errors);
      process.exitCode = error.status >= 500 ? 1 : 2;
    } else {
      process.stderr.write(`nimbus: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 1;
    }
  },
);
