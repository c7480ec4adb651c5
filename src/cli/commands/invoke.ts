/** `nimbus invoke <name> [--data JSON|@file]`: a synchronous invocation with a JSON event. */
import { readFileSync } from 'node:fs';
import { flag, has, onlyFlags, UsageError, type ParsedArgs } from '../args.ts';
import { ApiError, call, type ClientOptions } from '../client.ts';
import { print, printJson } from '../format.ts';

function readEvent(args: ParsedArgs): unknown {
  const raw = flag(args, 'data');
  if (raw === undefined) return {};
  const text = raw.startsWith('@') ? readFileSync(raw.slice(1), 'utf8') : raw;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--data is not valid JSON (${(error as Error).message}); e.g. --data '{"name":"Ada"}' or --data @event.json`);
  }
}

export async function invoke(client: ClientOptions, args: ParsedArgs): Promise<number> {
  onlyFlags(args, ['data', 'json']);
  const [name] = args.positionals;
  if (!name) throw new UsageError(`usage: nimbus invoke <name> [--data '{"key":"value"}' | --data @event.json]`);
  try {
    const answer = await call(client, 'POST', `/api/v1/functions/${encodeURIComponent(name)}/invoke`, readEvent(args));
    const id = answer.headers.get('x-nimbus-invocation-id');
    if (has(args, 'json')) printJson({ invocationId: id, result: answer.body });
    else {
      print(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body, null, 2));
      process.stderr.write(`(invocation ${id}; \`nimbus invocations ${name}\` shows the record)\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof ApiError && typeof error.problem.invocationId === 'string') {
      const p = error.problem;
      if (has(args, 'json')) {
        printJson({ invocationId: p.invocationId, error: p });
        return 1;
      }
      process.stderr.write(
        `✗ ${String(p.errorName ?? p.code)}: ${String(p.errorMessage ?? p.detail)}\n  invocation ${String(p.invocationId)} — \`nimbus show ${String(p.invocationId)}\` has its logs\n`,
      );
      return 1;
    }
    throw error;
  }
}
