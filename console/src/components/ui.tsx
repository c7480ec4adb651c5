/** Small shared pieces: loading data from the API, showing its problems, page frames. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type Problem } from '../api.ts';

export function toProblem(error: unknown): Problem {
  if (error instanceof ApiError) return error.problem;
  return { title: 'Console error', status: 0, detail: String((error as Error)?.message ?? error) };
}

/** An API problem as the API gave it: title, detail and code (text only). */
export function ProblemBox({ error, onDismiss }: { error: unknown; onDismiss?: () => void }) {
  if (!error) return null;
  const p = toProblem(error);
  return (
    <div class="problem" role="alert">
      <strong>{p.title}</strong>
      {p.status ? <span class="muted"> ({p.status})</span> : null}
      {p.detail ? <div>{p.detail}</div> : null}
      {p.code ? <code class="code">{p.code}</code> : null}
      {onDismiss ? (
        <button type="button" class="link" onClick={onDismiss} aria-label="Dismiss">
          dismiss
        </button>
      ) : null}
    </div>
  );
}

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  readonly loading: boolean;
  reload(): void;
}

/** GETs `path` (null: nothing yet), again on `reload()` and every `refreshMs` when given. */
export function useApi<T>(path: string | null, refreshMs?: number): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  useEffect(() => {
    if (path === null) return;
    const mine = ++seq.current;
    setLoading(true);
    api<T>(path).then(
      (d) => {
        if (mine !== seq.current) return;
        setData(d);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (mine !== seq.current) return;
        setError(e);
        setLoading(false);
      },
    );
  }, [path, tick]);
  useEffect(() => {
    if (!refreshMs || path === null) return;
    const t = setInterval(() => {
      if (!document.hidden) setTick((n) => n + 1);
    }, refreshMs);
    return () => clearInterval(t);
  }, [path, refreshMs]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading, reload };
}

/** Runs an action (a POST, PUT…), keeping its problem and a busy flag for the form that started it. */
export function useAction<A extends unknown[], R>(fn: (...args: A) => Promise<R>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (...args: A): Promise<R | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await fn(...args);
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { run, busy, error, clear: () => setError(null) };
}

export function Page({ title, actions, children }: { title: ComponentChildren; actions?: ComponentChildren; children: ComponentChildren }) {
  const h = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    // Focus moves to the new page's heading, so keyboard and screen-reader users start there.
    h.current?.focus();
    document.title = `${typeof title === 'string' ? title : 'Nimbus'} · Nimbus console`;
  }, [typeof title === 'string' ? title : '']);
  return (
    <section class="page">
      <header class="page-head">
        <h1 tabIndex={-1} ref={h}>
          {title}
        </h1>
        {actions ? <div class="actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}

export function Card({ title, children, wide }: { title?: ComponentChildren; children: ComponentChildren; wide?: boolean }) {
  return (
    <section class={wide ? 'card wide' : 'card'}>
      {title ? <h2>{title}</h2> : null}
      {children}
    </section>
  );
}

export function Stat({ label, value, sub }: { label: string; value: ComponentChildren; sub?: ComponentChildren }) {
  return (
    <div class="stat">
      <div class="stat-label">{label}</div>
      <div class="stat-value">{value}</div>
      {sub ? <div class="stat-sub">{sub}</div> : null}
    </div>
  );
}

export function Loading({ what }: { what?: string }) {
  return (
    <p class="muted" aria-live="polite">
      {what ? `Loading ${what}…` : 'Loading…'}
    </p>
  );
}

/** Text in a <pre>: function output, logs and payloads are shown as text, never as HTML. */
export function Pre({ text, label }: { text: string; label?: string }) {
  return (
    <pre class="pre" aria-label={label} tabIndex={0}>
      {text}
    </pre>
  );
}

export function StatusBadge({ status }: { status: string }) {
  const cls = /^(success|SUCCEEDED|ok|resolved|active)$/i.test(status)
    ? 'ok'
    : /^(RUNNING|pending|queued|running|firing-soon)$/i.test(status)
      ? 'run'
      : 'bad';
  return <span class={`badge ${cls}`}>{status}</span>;
}
