/**
 * python3.* Lambda functions on the app runtime (docs/apps.md): the zip's files plus the
 * bootstrap Nimbus ships (lambda-python-bootstrap.ts) deployed as an app whose command runs
 * the host's /usr/bin/python3 on the bootstrap. Offered only where the app runtime can run
 * here (a network namespace or the operator's --app-host-network) and the interpreter is in
 * /usr (the only part of the host the sandbox shows); otherwise the runtime is refused,
 * saying which of them is missing.
 */
import { existsSync } from 'node:fs';
import type { ProcessIsolation } from '../../runtime/process/isolation.ts';
import { awsErr } from './errors.ts';
import { PYTHON_BOOTSTRAP, PYTHON_BOOTSTRAP_FILE } from './lambda-python-bootstrap.ts';
import { readZip } from './zip.ts';

export const PYTHON_RUNTIME = /^python3\.(\d+)$/;
/** `file.func`, `dir/file.func`: a module path of identifiers and the function's name. */
const PYTHON_HANDLER = /^([A-Za-z_]\w*(?:\/[A-Za-z_]\w*)*)\.([A-Za-z_]\w*)$/;

/** The interpreter for `python3.N`: /usr/bin/python3.N when the host has it, else /usr/bin/python3. */
export function pythonInterpreter(runtime: string): string | null {
  const minor = PYTHON_RUNTIME.exec(runtime)?.[1];
  const exact = `/usr/bin/python3.${minor}`;
  if (minor !== undefined && existsSync(exact)) return exact;
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : null;
}

/** Why python functions cannot run on this platform, or null when they can. */
export function pythonUnavailable(isolation: ProcessIsolation | undefined, runtime: string): string | null {
  if (isolation === undefined) return 'this platform runs no app runtime';
  if (isolation.network !== 'namespace' && !isolation.hostNetworkAllowed) {
    return 'the app runtime cannot run here: this host cannot give app processes a network namespace (bubblewrap with --unshare-net) and the operator has not allowed the host network (--app-host-network); docs/apps.md, Network';
  }
  if (pythonInterpreter(runtime) === null) return 'the host has no /usr/bin/python3 (apt-get install python3); the app sandbox shows only /usr of the host';
  return null;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface PythonApp {
  readonly app: { files: Record<string, string> };
  readonly command: string;
}

/** The app for a python function: the zip's files and the bootstrap, and the command that runs it. */
export function pythonApp(zip: Buffer, maxBytes: number, handler: string, runtime: string, name: string, arn: string, memoryMb: number, timeoutMs: number): PythonApp {
  const m = PYTHON_HANDLER.exec(handler);
  if (!m) throw awsErr.invalidParameter(`Handler ${handler} must be <module>.<function>, e.g. lambda_function.lambda_handler (the module a path of Python names, e.g. app/main.handler)`);
  const unzipped = readZip(zip, maxBytes);
  const module = m[1];
  if (!unzipped.has(`${module}.py`) && !unzipped.has(`${module}/__init__.py`)) throw awsErr.invalidParameter(`Handler ${handler}: the zip has no ${module}.py`);
  const files: Record<string, string> = {};
  for (const [path, data] of unzipped) files[path] = data.toString('base64');
  files[PYTHON_BOOTSTRAP_FILE] = Buffer.from(PYTHON_BOOTSTRAP).toString('base64');
  return { app: { files }, command: pythonCommand(handler, runtime, name, arn, memoryMb, timeoutMs) };
}

/** The app's start command: the interpreter on the bootstrap, with the function's settings as arguments. */
export function pythonCommand(handler: string, runtime: string, name: string, arn: string, memoryMb: number, timeoutMs: number): string {
  const python = pythonInterpreter(runtime) ?? '/usr/bin/python3';
  return ['exec', python, '-u', PYTHON_BOOTSTRAP_FILE, quote(handler), quote(name), String(memoryMb), String(timeoutMs), quote(arn)].join(' ');
}

/**
 * Lambda's error object from a failed answer that carried one (the python bootstrap's: the
 * dispatcher keeps it as `lambdaError`, src/dispatch/http-event.ts), or null.
 */
export function lambdaErrorObject(extra: Readonly<Record<string, unknown>>): Record<string, unknown> | null {
  const e = extra.lambdaError as { errorMessage?: unknown; errorType?: unknown; requestId?: unknown; stackTrace?: unknown } | undefined;
  if (e === undefined || e === null || typeof e.errorType !== 'string' || typeof e.errorMessage !== 'string') return null;
  const requestId = typeof e.requestId === 'string' ? { requestId: e.requestId } : {};
  return { errorMessage: e.errorMessage, errorType: e.errorType, ...requestId, stackTrace: Array.isArray(e.stackTrace) ? e.stackTrace : [] };
}
