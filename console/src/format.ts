/** Numbers, times and durations as the console prints them. */

export function num(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function ms(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  if (n >= 10_000) return `${num(n / 1000, 1)} s`;
  if (n >= 100) return `${num(n, 0)} ms`;
  return `${num(n, 2)} ms`;
}

export function money(n: number | null | undefined, currency = 'USD'): string {
  if (n === null || n === undefined) return '–';
  const digits = n !== 0 && Math.abs(n) < 0.01 ? 6 : 2;
  return `${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: digits })} ${currency}`;
}

export function time(epochMs: number | null | undefined): string {
  if (epochMs === null || epochMs === undefined) return '–';
  const d = new Date(epochMs);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function clock(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 19);
}

export function day(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

export function ago(epochMs: number | null | undefined, now = Date.now()): string {
  if (epochMs === null || epochMs === undefined) return '–';
  const s = Math.round((now - epochMs) / 1000);
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86_400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86_400)}d ago`;
}

/** Pretty JSON of any value, as text (the console never renders it as HTML). */
export function json(v: unknown): string {
  if (v === undefined) return '';
  try {
    return JSON.stringify(v, null, 2);
  } catch {
    return String(v);
  }
}
