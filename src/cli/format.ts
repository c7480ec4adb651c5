/** Human output: aligned tables, sizes, durations, times. */
export function table(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function ms(n: number): string {
  if (n < 1) return `${n.toFixed(2)} ms`;
  if (n < 1000) return `${n.toFixed(n < 10 ? 1 : 0)} ms`;
  return `${(n / 1000).toFixed(n < 10_000 ? 2 : 1)} s`;
}

/** A time as `2026-01-02 03:04:05Z`; one past what Date can show (a wait of 1e20 s) as its number. */
export function time(epochMs: number): string {
  const d = new Date(epochMs);
  return Number.isNaN(d.getTime()) ? `${epochMs} (epoch ms)` : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** For commands that only print: output piped into a reader that stops early (`nimbus logs | head`) ends them quietly. */
export function exitQuietlyOnClosedStdout(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** Progress goes to stderr so that stdout stays clean for --json and pipes. */
export function progress(text: string): void {
  process.stderr.write(text + '\n');
}

/**
 * Characters a terminal acts on rather than shows (C0 and C1 controls but tab and newline,
 * DEL) and those that reorder or break what it shows (bidi controls, line separators).
 */
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\r': '\\r', '\x0b': '\\v', '\f': '\\f', '\b': '\\b', '\0': '\\0' };

/**
 * Text from a function (log lines, error messages) made safe for a terminal: controls are
 * written as escapes (`\x1b`, `\r`, `\u202e`), so the text can neither clear the screen nor
 * rewrite a line; every line after the first starts with `indent`, so it cannot pass for a
 * line of its own (another function's log line, say). Human output only; --json keeps the text.
 */
export function visible(text: string, indent = ''): string {
  const safe = text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return NAMED[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
  });
  return indent === '' ? safe : safe.replaceAll('\n', '\n' + indent);
}

/** `visible` for a table cell or a one-line field: newlines too become `\n`. */
export function visibleLine(text: string): string {
  return visible(text).replaceAll('\n', '\\n');
}
