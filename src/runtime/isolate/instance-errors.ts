/** The NimbusErrors an isolate instance rejects with, in one place. */
import { NimbusError } from '../../core/errors.ts';
import type { FunctionConfig } from '../../core/types.ts';
import type { InstanceDeath, UnhandledRejection } from '../port.ts';
import { locate, withoutShimFrames } from './wire.ts';

/** For a call on an instance that is gone. */
export function deadError(death: InstanceDeath | null): NimbusError {
  return new NimbusError('NIMBUS_ERR_INSTANCE_CRASHED', `the instance is gone (${death}); retry on a new one`, {
    extra: { death },
  });
}

/** For the invocation that hit a limit (or all of them, when the instance crashed). */
export function limitError(reason: InstanceDeath, cfg: FunctionConfig, cpuMs: number): NimbusError {
  switch (reason) {
    case 'timeout':
      return new NimbusError('NIMBUS_ERR_TIMEOUT', `the function did not finish within its timeout (${cfg.timeoutMs} ms)`, {
        extra: { timeoutMs: cfg.timeoutMs },
      });
    case 'cpu_limit':
      return new NimbusError(
        'NIMBUS_ERR_CPU_LIMIT',
        `the function used more than its CPU limit (${cfg.cpuLimitMs} ms; this invocation used ${Math.round(cpuMs)} ms)`,
        { extra: { cpuLimitMs: cfg.cpuLimitMs } },
      );
    case 'memory_limit':
      return new NimbusError('NIMBUS_ERR_MEMORY_LIMIT', `the function exceeded its memory limit (${cfg.memoryMb} MB): raise memoryMb or use less`, {
        extra: { memoryMb: cfg.memoryMb },
      });
    default:
      return new NimbusError('NIMBUS_ERR_INSTANCE_CRASHED', `the instance stopped (${reason}); retry`, { extra: { death: reason } });
  }
}

/**
 * Where a bundle line came from, for people: esbuild heads each source file's part of the
 * bundle with a `// path/to/file.ts` comment, and keeps the code readable, so the file
 * and the line's own text point at the source without a source map.
 */
export function sourceAt(code: string, line: number): { file: string | null; lineText: string } | null {
  const lines = code.split('\n');
  const text = lines[line - 1];
  if (text === undefined) return null;
  let file: string | null = null;
  for (let i = line - 1; i >= 0; i--) {
    const m = /^\s*\/\/ (\S+\.(?:[cm]?[jt]sx?|json))$/.exec(lines[i]);
    if (m) {
      file = m[1].replace(/^[a-z-]+:\/?/, ''); // sources sent over the API bundle in a virtual namespace ("src:/index.ts")
      break;
    }
  }
  const trimmed = text.trim();
  return { file, lineText: trimmed.length > 160 ? `${trimmed.slice(0, 157)}...` : trimmed };
}

/** For start() when the module's top level failed: names the error and its line. */
export function initError(
  error: unknown,
  filename: string,
  death: InstanceDeath | null,
  cfg: FunctionConfig,
  initTimeoutMs: number,
  code?: string,
): NimbusError {
  const text = String((error as { message?: unknown })?.message ?? error);
  if (death === 'memory_limit' || /due to memory limit/.test(text)) {
    return new NimbusError(
      'NIMBUS_ERR_FUNCTION_INIT',
      `the module ran out of memory (${cfg.memoryMb} MB) while initialising: raise memoryMb or do less at the top level`,
      { extra: { errorName: 'MemoryLimit', errorMessage: 'memory limit exceeded', line: null, column: null } },
    );
  }
  if (death === 'cpu_limit') {
    return new NimbusError(
      'NIMBUS_ERR_FUNCTION_INIT',
      `the module (or a timer it set) used more than its CPU limit (${cfg.cpuLimitMs} ms) while starting`,
      { extra: { errorName: 'CpuLimit', errorMessage: 'CPU limit exceeded', line: null, column: null } },
    );
  }
  const e = error as { name?: unknown; message?: unknown; stack?: unknown };
  if (text === 'Script execution timed out.') {
    return new NimbusError(
      'NIMBUS_ERR_FUNCTION_INIT',
      `the module's top level did not finish within ${initTimeoutMs} ms: move slow work into the handler`,
      { extra: { errorName: 'InitTimeout', errorMessage: text, line: null, column: null } },
    );
  }
  const stack = typeof e?.stack === 'string' ? e.stack : '';
  const errorName = typeof e?.name === 'string' ? e.name : 'Error';
  const errorMessage = text.replace(/ \[[^\]]*:\d+:\d+\]$/, '');
  const { line, column } = locate(text + '\n' + stack, filename);
  const source = line === null || code === undefined ? null : sourceAt(code, line);
  const where =
    line === null
      ? ''
      : ` at line ${line}${column === null ? '' : `:${column}`} of the bundle${source ? ` (${source.file ? `${source.file}: ` : ''}\`${source.lineText}\`)` : ''}`;
  return new NimbusError('NIMBUS_ERR_FUNCTION_INIT', `the module threw while initialising${where}: ${errorName}: ${errorMessage}`, {
    extra: { errorName, errorMessage, line, column, stack, sourceFile: source?.file ?? null, lineText: source?.lineText ?? null },
  });
}

/**
 * What isolated-vm hands the host for a promise rejected with no handler (the first of a
 * task: it ends every task by checking for them). It copies an error as Error, TypeError,
 * RangeError, ReferenceError or SyntaxError (a subclass of Error becomes Error) with its
 * message and stack; a string or number as it is; another value as an error saying so.
 * A reason that is not an Error has no name (errorName '').
 */
export function describeRejection(reason: unknown): UnhandledRejection {
  if (reason instanceof Error) {
    const stack = typeof reason.stack === 'string' ? reason.stack.split('\n').filter((line) => !/^\s+at /.test(line) || !/<isolated-vm boundary>|\(?(file|node):/.test(line)).join('\n') : '';
    const opaque = reason.message.startsWith('An object was thrown from supplied code within isolated-vm');
    return opaque
      ? { errorName: '', errorMessage: 'a value that is not an Error (an object)', stack: '' }
      : { errorName: reason.name || 'Error', errorMessage: reason.message, stack: withoutShimFrames(stack) };
  }
  return { errorName: '', errorMessage: typeof reason === 'string' ? JSON.stringify(reason) : String(reason), stack: '' };
}

/** The log line of an unhandled rejection, as workerd and Deno print it, with the frames given. */
export function rejectionLine(r: UnhandledRejection, frames: readonly string[]): string {
  return [`Uncaught (in promise) ${r.errorName === '' ? r.errorMessage : `${r.errorName}: ${r.errorMessage}`}`, ...frames].join('\n');
}
