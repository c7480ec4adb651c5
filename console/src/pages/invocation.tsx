/** One invocation: its record (status, timings, version and alias, error) and its log lines, as text. */
import { enc } from '../api.ts';
import { Card, Loading, Page, Pre, ProblemBox, StatusBadge, useApi } from '../components/ui.tsx';
import { json, ms, num, time } from '../format.ts';
import { href } from '../router.ts';
import type { InvocationRecord } from '../types.ts';

export function InvocationPage({ id }: { id: string }) {
  const rec = useApi<InvocationRecord>(`/invocations/${enc(id)}`);
  const r = rec.data;
  return (
    <Page title={`Invocation ${id}`}>
      <ProblemBox error={rec.error} />
      {!r && rec.loading ? <Loading what="the record" /> : null}
      {r ? (
        <div class="grid">
          <Card title="Record">
            <dl class="kv">
              <div>
                <dt>Function</dt>
                <dd>
                  <a href={href(`/functions/${encodeURIComponent(r.functionName)}`)}>{r.functionName}</a> version {r.version}
                  {r.alias ? ` via @${r.alias}` : null}
                </dd>
              </div>
              <div>
                <dt>Status</dt>
                <dd>
                  <StatusBadge status={r.status} />
                  {r.statusCode !== null ? ` HTTP ${r.statusCode}` : null}
                </dd>
              </div>
              <div>
                <dt>Trigger</dt>
                <dd>
                  {r.trigger} · {r.triggerSource}
                </dd>
              </div>
              <div>
                <dt>Started</dt>
                <dd>{time(r.startedAt)}</dd>
              </div>
              <div>
                <dt>Duration</dt>
                <dd>
                  {ms(r.durationMs)} (billed {num(r.billedMs)} ms at {r.memoryMb} MB; CPU {ms(r.cpuMs)})
                </dd>
              </div>
              <div>
                <dt>Cold start</dt>
                <dd>{r.coldStart ? `yes, init ${ms(r.initMs)}` : 'no'}</dd>
              </div>
              <div>
                <dt>Attempt</dt>
                <dd>{r.attempt}</dd>
              </div>
              {r.traceId ? (
                <div>
                  <dt>Trace</dt>
                  <dd class="mono">{r.traceId}</dd>
                </div>
              ) : null}
            </dl>
            {r.errorCode || r.errorMessage ? (
              <div class="problem">
                <strong>{r.errorName ?? 'Error'}</strong>
                <div>{r.errorMessage}</div>
                {r.errorCode ? <code class="code">{r.errorCode}</code> : null}
              </div>
            ) : null}
          </Card>
          <Card title="Logs">
            {r.logs.length === 0 ? <p class="muted">No output.</p> : null}
            <div class="logs" tabIndex={0} id="invocation-logs" aria-label="Log lines">
              {r.logs.map((l, i) => (
                <div key={i} class={`log-line lvl-${l.level}`}>
                  <span class="log-time">{time(l.t)}</span> <span class="log-level">{l.level}</span> <span class="log-msg">{l.msg}</span>
                </div>
              ))}
              {r.logsTruncated ? <div class="muted">(truncated at the log limit)</div> : null}
            </div>
          </Card>
          <Card title="Raw record" wide>
            <Pre text={json(r)} label="The record as JSON" />
          </Card>
        </div>
      ) : null}
    </Page>
  );
}
