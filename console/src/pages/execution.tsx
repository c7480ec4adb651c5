/**
 * One workflow execution: its state machine coloured by each state's status, the event
 * history (all, or one state's), input and output, and stop / redrive.
 */
import { useMemo, useState } from 'preact/hooks';
import { api, enc } from '../api.ts';
import { Card, Loading, Page, Pre, ProblemBox, StatusBadge, useAction, useApi } from '../components/ui.tsx';
import { TableHead, hideSm } from '../components/table.tsx';
import { StateGraph } from '../components/state-graph.tsx';
import { statuses, topState, type HistoryEvent } from '../components/state-graph.ts';
import { json, time } from '../format.ts';
import { href } from '../router.ts';
import type { Execution } from './workflows.tsx';

export function ExecutionPage({ id }: { id: string }) {
  const exec = useApi<Execution>(`/executions/${enc(id)}`, 3_000);
  const x = exec.data;
  const running = x?.status === 'RUNNING';
  const wf = useApi<{ definition: { StartAt?: string; States?: Record<string, unknown> } }>(x ? `/workflows/${enc(x.workflow)}?version=${x.version}` : null);
  const hist = useApi<{ events: HistoryEvent[] }>(x ? `/executions/${enc(id)}/history?limit=1000` : null, running ? 3_000 : undefined);
  const [selected, setSelected] = useState<string | null>(null);
  const status = useMemo(() => (x && hist.data ? statuses(hist.data.events, x.status) : undefined), [hist.data, x?.status]);
  const act = useAction(async (what: 'stop' | 'redrive') => {
    await api(`/executions/${enc(id)}/${what}`, { method: 'POST', json: {} });
    exec.reload();
  });
  const events = (hist.data?.events ?? []).filter((e) => selected === null || topState(e.statePath) === selected);
  return (
    <Page
      title={x ? `${x.workflow} · ${x.name}` : `Execution ${id}`}
      actions={
        x ? (
          <>
            <StatusBadge status={x.status} />
            <button type="button" disabled={!running || act.busy} onClick={() => void act.run('stop')}>
              Stop
            </button>
            <button type="button" disabled={running || x.status === 'SUCCEEDED' || act.busy} onClick={() => void act.run('redrive')}>
              Redrive
            </button>
          </>
        ) : null
      }
    >
      <ProblemBox error={exec.error ?? wf.error ?? hist.error ?? act.error} onDismiss={act.error ? act.clear : undefined} />
      {!x && exec.loading ? <Loading what="the execution" /> : null}
      {x ? (
        <div class="grid">
          <Card title="State machine" wide>
            <p class="muted">
              Workflow <a href={href(`/workflows/${encodeURIComponent(x.workflow)}`)}>{x.workflow}</a> version {x.version} · started {time(x.startedAt)}
              {`${x.stoppedAt ? ` · ended ${time(x.stoppedAt)}` : ''} · ${x.transitions} transitions${x.redriveCount ? ` · redriven ${x.redriveCount}×` : ''}`}
            </p>
            {wf.data ? <StateGraph definition={wf.data.definition} status={status} selected={selected} onSelect={setSelected} /> : <Loading what="the definition" />}
            {x.error ? (
              <div class="problem">
                <strong>{x.error}</strong>
                {x.cause ? <div>{x.cause}</div> : null}
              </div>
            ) : null}
          </Card>
          <Card title={selected ? `History of ${selected}` : 'Event history'} wide>
            {selected ? (
              <button type="button" class="small" onClick={() => setSelected(null)}>
                Show all events
              </button>
            ) : null}
            <div class="table-wrap">
              <table class="table" id="history-table">
                <TableHead columns={['#', 'Time', 'Event', 'State', hideSm('Details')]} />
                <tbody>
                  {events.map((e) => {
                    const { id: eid, type, timestamp, statePath, previousEventId: _p, ...details } = e;
                    return (
                      <tr key={eid}>
                        <td>{eid}</td>
                        <td>{timestamp.slice(11, 23)}</td>
                        <td>{type}</td>
                        <td class="mono">{statePath ?? ''}</td>
                        <td class="hide-sm">
                          <code class="details">{json(details).slice(0, 400)}</code>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          </Card>
          <Card title="Input">
            <Pre text={json(x.input)} label="Execution input" />
          </Card>
          <Card title="Output">
            <Pre text={x.output === null ? (running ? '(none yet)' : '(none)') : json(x.output)} label="Execution output" />
          </Card>
        </div>
      ) : null}
    </Page>
  );
}
