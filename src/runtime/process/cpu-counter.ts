/**
 * An instance's CPU time from its cgroup's counter file: cgroup v1 `cpuacct.usage`
 * (nanoseconds) or v2 `cpu.stat` (`usage_usec`). The kernel counts every process of the
 * instance, forks included, exactly (not in clock ticks), and the app cannot forge it. The
 * file is kept open and read from its start each time: one pread, not an open, read and
 * close, as calls begin and end.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export type CounterFormat = 'cpuacct.usage' | 'cpu.stat';

export class CpuCounter {
  #fd: number | null;
  readonly #buffer = Buffer.alloc(512);
  #last = 0;

  constructor(
    path: string,
    private readonly format: CounterFormat,
  ) {
    try {
      this.#fd = openSync(path, 'r');
    } catch {
      this.#fd = null;
    }
  }

  /** Whether the counter could be opened. */
  get readable(): boolean {
    return this.#fd !== null;
  }

  /** CPU so far, ms; the last reading once the file cannot be read (the cgroup is being removed). */
  readMs(): number {
    if (this.#fd === null) return this.#last;
    try {
      const n = readSync(this.#fd, this.#buffer, 0, this.#buffer.byteLength, 0);
      const ms = parseCounter(this.#buffer.toString('latin1', 0, n), this.format);
      if (ms !== null && ms >= this.#last) this.#last = ms;
    } catch {
      /* gone */
    }
    return this.#last;
  }

  close(): void {
    if (this.#fd === null) return;
    try {
      closeSync(this.#fd);
    } catch {
      /* closed */
    }
    this.#fd = null;
  }
}

/** The counter's text as ms, or null when it does not parse. */
export function parseCounter(text: string, format: CounterFormat): number | null {
  if (format === 'cpuacct.usage') {
    const ns = Number(text.trim());
    return text.trim() !== '' && Number.isFinite(ns) ? ns / 1e6 : null;
  }
  const m = /^usage_usec (\d+)$/m.exec(text);
  return m ? Number(m[1]) / 1000 : null;
}
