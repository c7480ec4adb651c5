/**
 * Node's IPC channel to a child the platform does not trust (a node function's worker, whose
 * code can write raw bytes on the channel's descriptor; an app's connector, which shares its
 * sandbox with the app). Node parses the channel inside the pipe's read callback: a frame it
 * cannot parse (bad JSON, a bad serialization header) throws there, an uncaught exception
 * of the whole platform, and a frame is buffered up to any length it declares (4 GB in the
 * advanced serialization's header), in the platform's memory. Guarded here: a parse error
 * or more than `maxBytes` buffered of one frame stops the reading, drops what was buffered
 * and calls `onAbuse`, which stops the child. Messages already parsed are delivered as before.
 * The parser's state is Node's own (found by its symbols' names); where it cannot be found
 * the parse errors are still caught.
 */
import type { ChildProcess } from 'node:child_process';

interface Pipe {
  onread: (...args: unknown[]) => unknown;
  readStop?: () => number;
  [key: symbol]: unknown;
}

const symbolOf = (o: object, name: string): symbol | undefined => Object.getOwnPropertySymbols(o).find((s) => s.description === name);

/** Bytes of the frame the channel holds, not yet parsed (0 where Node's state cannot be read). */
function buffered(pipe: Pipe): number {
  const advanced = symbolOf(pipe, 'kMessageBufferSize');
  if (advanced !== undefined) return Number(pipe[advanced]) || 0;
  const json = symbolOf(pipe, 'kJSONBuffer');
  return json !== undefined && typeof pipe[json] === 'string' ? (pipe[json] as string).length : 0;
}

function drop(pipe: Pipe): void {
  pipe.readStop?.();
  for (const [name, empty] of [['kMessageBuffer', []], ['kMessageBufferSize', 0], ['kJSONBuffer', '']] as const) {
    const s = symbolOf(pipe, name);
    if (s !== undefined) pipe[s] = empty;
  }
}

export function guardChannel(child: ChildProcess, maxBytes: number, onAbuse: (why: string) => void): void {
  const handle = symbolOf(child, 'kChannelHandle');
  const pipe = handle === undefined ? undefined : ((child as unknown as Record<symbol, Pipe | undefined>)[handle] ?? undefined);
  if (pipe === undefined || typeof pipe.onread !== 'function') return;
  const read = pipe.onread;
  let stopped = false;
  const abuse = (why: string) => {
    stopped = true;
    drop(pipe);
    onAbuse(why);
  };
  pipe.onread = function (this: unknown, ...args: unknown[]) {
    if (stopped) return;
    try {
      read.apply(this, args);
    } catch (e) {
      return abuse(`a message on its IPC channel could not be read (${(e as Error)?.message ?? e})`);
    }
    if (buffered(pipe) > maxBytes) abuse(`a message on its IPC channel is larger than ${maxBytes} bytes`);
  };
}
