/**
 * `nimbus`: the command line. Exit codes: 0 ok, 1 the platform or function said no,
 * 2 usage error, 3 the platform cannot be reached.
 */
import { isNimbusError } from '../core/errors.ts';
import { flag, has, onlyFlags, parseArgs, UsageError, type ParsedArgs } from './args.ts';
import { ApiError, ConnectError, resolveClient, type ClientOptions } from './client.ts';
import { exitQuietlyOnClosedStdout, visible, visibleLine } from './format.ts';
import { splitGlobalFlags } from './global-flags.ts';

const HELP = `nimbus — serverless functions on your machine

  nimbus up [--port 8080] [--host 127.0.0.1] [--data .nimbus] [--store postgres://…]   start the platform (npm start)
  nimbus deploy <name> <file-or-dir> [--memory 128] [--timeout 10s] [--cpu 5s]
                [--env K=V]… [--concurrency 10] [--target 7] [--min 0] [--max 100] [--idle 60s]
                [--scale-down-delay 30s]
                [--node-build pkg]…   bundle these packages from their Node build (docs/runtime.md)
                [--runtime node]   the same module in a Node process with all of Node
                [--runtime app --cmd "python3 app.py" [--ready-path /health] [--event-path /]
                 [--start-timeout 10s] [--grace 5s]]   a directory with any HTTP server (docs/apps.md)
  nimbus runtimes                  the runtimes and what the host enforces on app processes
  nimbus invoke <name> [--data '{"k":"v"}' | --data @event.json]
  nimbus ls                        list functions
  nimbus info <name>               versions, limits, scaling, live instances, last decisions
  nimbus scale <name> [--min N] [--max N] [--target N] [--concurrency N] [--idle 30s]
                [--scale-down-delay 30s] [--reset]
                                   change scaling live (no new version); no flags: show it
  nimbus invocations [name]        recent invocation records [--limit 20] [--status error]
  nimbus show <invocation-id>      one record with its logs
  nimbus rm <name>                 delete a function

  nimbus alias set <name> <alias> 3 | 3=90 4=10    point an alias at a version, or split by weight
  nimbus alias ls <name> | alias rm <name> <alias>  /fn/<name> follows \`live\`; /fn/<name>@<alias|version>
  nimbus promote <name> [version] [--alias live]    point the alias at a version (default: the latest)
  nimbus rollback <name> [--alias live]            move the alias back to its previous target
  nimbus secrets set <name> <NAME>                 value from stdin or a prompt; makes a new version
  nimbus secrets ls <name> | secrets rm <name> <NAME>

  nimbus invoke <name> --async [--key K]          queue it (202 + id); --key: Idempotency-Key
  nimbus async ls [name] [--state dead] | async show <id>   status of async invocations
  nimbus dlq ls [name] | dlq show <id> | dlq redrive <id> | dlq redrive --all [--function name] | dlq rm <id>
  nimbus triggers ls [name] | triggers rm <id>    timers (with next fire times) and subscriptions
  nimbus triggers add <name> --schedule '*/5 * * * *' [--tz Europe/Berlin] [--missed skip|run-once]
  nimbus triggers add <name> --topic orders [--type T] [--source-prefix P] [--subject S]…
  nimbus triggers add --workflow <wf> --schedule … | --topic …   start a workflow execution per tick / event
  nimbus topics [ls] | topics create <topic> | topics rm <topic>      subscriptions [topic]
  nimbus events publish <topic> --type T --source S [--subject S] [--data JSON|@file | --text T|@file]
  nimbus wf deploy <name> <file.json|yaml> | wf start <name> [--input JSON|@file] [--name N] [--version V] [--wait]
  nimbus wf ls [workflow] [--executions] [--status S] | wf describe <id|workflow> | wf history <id>
  nimbus wf stop <id> [--error E] [--cause C] | wf redrive <id>     workflows (Amazon States Language)
  nimbus wf rm <name>              delete a workflow with its executions and triggers (none may be running)
  nimbus wf task-success <token> [--output JSON|@file] | wf task-failure <token> [--error E] [--cause C]
  nimbus wf task-heartbeat <token> answer a .waitForTaskToken task (wf describe <id> shows its token)
  nimbus logs [name] [--follow] [--since 15m] [--level warn] [--grep text] [--invocation id] [--limit N]
                                   function logs; --follow: the last 10 lines (--limit N for more), then live
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
  nimbus cluster status            the nodes sharing the store: address, version, load, instances,
                                   last seen, alive or stale (docs/cluster.md)

  Every read command takes --json. Connection: --url / NIMBUS_URL (default http://127.0.0.1:8080),
  token: --token / NIMBUS_TOKEN, else <data dir>/token (--data-dir / NIMBUS_DATA, default ./.nimbus).
`;

const BOOLEANS = new Set(['json', 'help', 'reset', 'async', 'all', 'wait', 'executions', 'follow', 'once', 'csv']);
// `--data` is the event of `nimbus invoke` (as the issue's tour has it), so the data directory
// (where the token lives) is `--data-dir` for client commands; `nimbus token --data DIR` also works.
const CONNECTION_FLAGS = ['url', 'token', 'data-dir'];

type Command = (client: ClientOptions, args: ParsedArgs) => Promise<number>;
/**
 * Each command's module is loaded when it runs: a client command loads the client and its
 * own file, never the server, isolated-vm, SQLite or esbuild (only `deploy` bundles).
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  deploy: async () => (await import('./commands/deploy.ts')).deploy,
  invoke: async () => (await import('./commands/invoke.ts')).invoke,
  ls: async () => (await import('./commands/functions.ts')).ls,
  info: async () => (await import('./commands/functions.ts')).info,
  rm: async () => (await import('./commands/functions.ts')).rm,
  invocations: async () => (await import('./commands/invocations.ts')).invocations,
  show: async () => (await import('./commands/invocations.ts')).show,
  scale: async () => (await import('./commands/scale.ts')).scale,
  alias: async () => (await import('./commands/releases.ts')).alias,
  promote: async () => (await import('./commands/releases.ts')).promote,
  rollback: async () => (await import('./commands/releases.ts')).rollback,
  secrets: async () => (await import('./commands/secrets.ts')).secrets,
  async: async () => (await import('./commands/dlq.ts')).asyncStatus,
  dlq: async () => (await import('./commands/dlq.ts')).dlq,
  triggers: async () => (await import('./commands/triggers.ts')).triggers,
  topics: async () => (await import('./commands/events.ts')).topics,
  subscriptions: async () => (await import('./commands/triggers.ts')).subscriptions,
  events: async () => (await import('./commands/events.ts')).events,
  logs: async () => (await import('./commands/observe.ts')).logs,
  top: async () => (await import('./commands/observe.ts')).top,
  usage: async () => (await import('./commands/observe.ts')).usage,
  alerts: async () => (await import('./commands/observe.ts')).alerts,
  wf: async () => (await import('./commands/workflows.ts')).wf,
  'aws-keys': async () => (await import('./commands/aws-keys.ts')).awsKeys,
  cluster: async () => (await import('./commands/cluster.ts')).cluster,
  runtimes: async () => (await import('./commands/runtimes.ts')).runtimes,
};

function withoutConnectionFlags(args: ParsedArgs): ParsedArgs {
  const flags = new Map(args.flags);
  for (const f of CONNECTION_FLAGS) flags.delete(f);
  return { ...args, flags };
}

async function main(argv: string[]): Promise<number> {
  const { command, rest } = splitGlobalFlags(argv);
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === 'version') {
    const { installedVersion } = await import('./install-dir.ts');
    process.stdout.write(`nimbus ${installedVersion()}\n`);
    return 0;
  }
  if (command === 'up') {
    // Once drained and stopped, leave even if a library left a handle open.
    const { nativeModulesAdvice, unloadableNativeModules } = await import('./native-modules.ts');
    const failed = await unloadableNativeModules();
    if (failed.length > 0) {
      process.stderr.write(`nimbus: ${nativeModulesAdvice(failed)}\n`);
      return 1;
    }
    const { up } = await import('./commands/up.ts');
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
    onlyFlags(args, [...CONNECTION_FLAGS, 'data', 'json']);
    if (!client.token) throw new UsageError(`no token found (looked for ${client.tokenSource}); start the platform once (\`nimbus up\`) or pass --data DIR`);
    process.stdout.write(client.token + '\n');
    return 0;
  }
  const load = COMMANDS[command];
  if (!load) throw new UsageError(`unknown command "${command}"; \`nimbus help\` lists the commands`);
  return (await load())(client, withoutConnectionFlags(args));
}

/** A build's errors under its message; the one the message already states shows only its source line. */
function printBuildErrors(message: string, errors: unknown): void {
  for (const e of (errors as Array<{ file?: string; line?: number; column?: number; text: string; lineText?: string }> | undefined) ?? []) {
    const where = `${e.file ?? ''}${e.line ? `:${e.line}:${e.column}` : ''}: ${e.text}`;
    if (!message.includes(where)) process.stderr.write(`  ${visible(where, '  ')}\n`);
    if (e.lineText) process.stderr.write(`    ${visibleLine(e.lineText)}\n`);
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
      // A problem's detail can carry a function's text (an error message): terminal controls shown, not obeyed.
      process.stderr.write(`nimbus: ${visible(error.message, '  ')}${p.code ? ` [${visibleLine(String(p.code))}]` : ''}\n`);
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
