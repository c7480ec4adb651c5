/** `nimbus invoke <name> [--data JSON|@file]`: a synchronous invocation with a JSON event. */
import { flag, has, jsonArg, onlyFlags, UsageError, type ParsedArgs } from '../args.ts';
import { ApiError, call, type ClientOptions } from '../client.ts';
import { print, printJson, visible } from '../format.ts';

function readEvent(args: ParsedArgs): unknown {
  const raw = flag(args, 'data');
  return raw === undefined ? {} : jsonArg(raw, '--data', `--data '{"name":"Ada"}' or --data @event.json`);
}

/** Refusals before anything ran: there is no record to point at, only the error. */
const NOT_RUN = new Set(['NIMBUS_ERR_FUNCTION_NOT_FOUND', 'NIMBUS_ERR_VERSION_NOT_FOUND', 'NIMBUS_ERR_SHUTTING_DOWN']);

/** `--async`: queued and answered 202 at once; the id is what `nimbus async show` takes. */
async function invokeAsync(client: ClientOptions, args: ParsedArgs, name: string): Promise<number> {
  const headers: Record<string, string> = { prefer: 'respond-async' };
  const key = flag(args, 'key');
  if (key !== undefined) headers['idempotency-key'] = key;
  const answer = await call(client, 'POST', `/api/v1/functions/${encodeURIComponent(name)}/invoke`, readEvent(args), headers);
  const body = answer.body as { invocationId: string; created: boolean };
  if (has(args, 'json')) printJson(body);
  else {
    print(body.invocationId);
    process.stderr.write(
      `(${body.created ? 'queued' : 'already queued under this key'}; \`nimbus async show ${body.invocationId}\` shows its status)\n`,
    );
  }
  return 0;
}

/**
 * A function's result as printed: on a terminal its control characters are escaped (a result
 * may not clear the screen or set the clipboard); into a pipe or file, as the function gave it.
 */
export function resultText(body: unknown, terminal: boolean): string {
  const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
  return terminal ? visible(text) : text;
}

export async function invoke(client: ClientOptions, args: ParsedArgs): Promise<number> {
  onlyFlags(args, ['data', 'json', 'async', 'key']);
  const [name] = args.positionals;
  if (!name) throw new UsageError(`usage: nimbus invoke <name> [--data '{"key":"value"}' | --data @event.json] [--async [--key K]]`);
  if (has(args, 'async')) return invokeAsync(client, args, name);
  if (flag(args, 'key') !== undefined) throw new UsageError('--key (an Idempotency-Key) goes with --async');
  try {
    const answer = await call(client, 'POST', `/api/v1/functions/${encodeURIComponent(name)}/invoke`, readEvent(args));
    const id = answer.headers.get('x-nimbus-invocation-id');
    if (has(args, 'json')) printJson({ invocationId: id, result: answer.body });
    else {
      print(resultText(answer.body, process.stdout.isTTY === true));
      process.stderr.write(`(invocation ${id}; \`nimbus invocations ${name}\` shows the record)\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof ApiError && typeof error.problem.invocationId === 'string' && !NOT_RUN.has(String(error.problem.code))) {
      const p = error.problem;
      if (has(args, 'json')) {
        printJson({ invocationId: p.invocationId, error: p });
        return 1;
      }
      process.stderr.write(
        `✗ ${visible(`${String(p.errorName ?? p.code)}: ${String(p.errorMessage ?? p.detail)}`, '  | ')}\n  invocation ${String(p.invocationId)} — \`nimbus show ${String(p.invocationId)}\` has its logs\n`,
      );
      return 1;
    }
    throw error;
  }
}
