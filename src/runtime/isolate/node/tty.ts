/**
 * `tty`: a function has no terminal. `isatty` is false for every descriptor, as for a
 * process whose output is piped, so packages that check (debug, chalk, supports-color) pick
 * their plain output; the stream classes exist for `instanceof` checks and cannot be made.
 */
export const isatty = (_fd?: unknown): boolean => false;

function noTerminal(name: string): never {
  throw new Error(`tty.${name}: a function has no terminal`);
}

export class ReadStream {
  readonly isTTY = true;
  constructor() {
    noTerminal('ReadStream');
  }
}

export class WriteStream {
  readonly isTTY = true;
  constructor() {
    noTerminal('WriteStream');
  }
}

export default { isatty, ReadStream, WriteStream };
