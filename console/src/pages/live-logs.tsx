/**
 * The function's console output as it is written: GET /logs?follow=true, Server-Sent
 * Events read with fetch (the token goes in a header, never the URL). Lines are text.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { enc, followEvents } from '../api.ts';
import { Card, ProblemBox } from '../components/ui.tsx';
import { clock } from '../format.ts';
import { href } from '../router.ts';
import type { LogEntry } from '../types.ts';

const KEEP = 500;

export function LiveLogs({ name }: { name: string }) {
  const [lines, setLines] = useState<LogEntry[]>([]);
  const [state, setState] = useState<'connecting' | 'live' | 'paused' | 'ended'>('connecting');
  const [error, setError] = useState<unknown>(null);
  const [paused, setPaused] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (paused) {
      setState('paused');
      return;
    }
    const abort = new AbortController();
    setState('connecting');
    setError(null);
    followEvents(`/logs?function=${enc(name)}&follow=true&limit=20`, abort.signal, (event, data) => {
      if (event === 'ready') setState('live');
      else if (event === 'log') {
        const entry = JSON.parse(data) as LogEntry;
        setLines((old) => [...old.slice(-(KEEP - 1)), entry]);
      } else if (event === 'error') setError(new Error((JSON.parse(data) as { detail: string }).detail));
    }).then(
      () => !abort.signal.aborted && setState('ended'),
      (e: unknown) => {
        if (abort.signal.aborted) return;
        setError(e);
        setState('ended');
      },
    );
    return () => abort.abort();
  }, [name, paused, attempt]);
  useEffect(() => {
    const el = box.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lines]);
  return (
    <div id="logs">
      <Card title="Live logs">
        <div class="toolbar">
          <span class={`badge ${state === 'live' ? 'ok' : state === 'ended' ? 'bad' : 'run'}`} role="status" id="logs-state">
            {state}
          </span>
          <button type="button" class="small" onClick={() => setPaused(!paused)}>
            {paused ? 'Resume' : 'Pause'}
          </button>
          {state === 'ended' ? (
            <button type="button" class="small" onClick={() => setAttempt(attempt + 1)}>
              Reconnect
            </button>
          ) : null}
          <button type="button" class="small" onClick={() => setLines([])}>
            Clear
          </button>
        </div>
        <ProblemBox error={error} />
        <div class="logs" ref={box} tabIndex={0} aria-label={`Log lines of ${name}`} aria-live="polite" id="live-logs">
          {lines.length === 0 ? <div class="muted">Waiting for output…</div> : null}
          {lines.map((l, i) => (
            <div key={i} class={`log-line lvl-${l.level}`}>
              <span class="log-time">{clock(l.t)}</span> <span class="log-level">{l.level}</span>{' '}
              <a class="log-id" href={href(`/invocations/${encodeURIComponent(l.invocationId)}`)} aria-label={`invocation ${l.invocationId}`}>
                {l.invocationId.slice(-6)}
              </a>{' '}
              <span class="log-msg">{l.msg}</span>
            </div>
          ))}
        </div>
      </Card>
    </div>
  );
}
