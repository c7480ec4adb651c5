/** A process's output as lines: split as it arrives (long lines cut), and the last few kept to explain a failed start. */
import type { Readable } from 'node:stream';

const MAX_LINE = 8192;

export function splitLines(stream: Readable, onLine: (line: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) !== -1) {
      onLine(pending.slice(0, nl).replace(/\r$/, ''));
      pending = pending.slice(nl + 1);
    }
    while (pending.length > MAX_LINE) {
      onLine(pending.slice(0, MAX_LINE));
      pending = pending.slice(MAX_LINE);
    }
  });
  stream.on('end', () => {
    if (pending !== '') onLine(pending);
    pending = '';
  });
  stream.on('error', () => {});
}

export class LineTail {
  private readonly kept: string[] = [];
  constructor(private readonly size: number) {}

  push(line: string): void {
    this.kept.push(line.length > 500 ? line.slice(0, 500) + '…' : line);
    if (this.kept.length > this.size) this.kept.shift();
  }

  lines(): string[] {
    return [...this.kept];
  }
}
