/** Async invocations by state, and the dead letters: inspect one, redrive it (or all), purge it. */
import { useState } from 'preact/hooks';
import { api, enc } from '../api.ts';
import { Card, Page, Pre, ProblemBox, StatusBadge, useAction, useApi } from '../components/ui.tsx';
import { ACTIONS, EmptyRow, TableHead, hideSm } from '../components/table.tsx';
import { json, num, time } from '../format.ts';

interface QueueItem {
  id: string;
  function: string | null;
  workflow?: string;
  kind: string;
  trigger: string;
  source: string;
  state: string;
  attempts: number;
  acceptedAt: number;
  finishedAt: number | null;
  deadReason: string | null;
  lastError: unknown;
  payload?: unknown;
}

const STATES = ['', 'queued', 'running', 'succeeded', 'failed', 'dead'];

export function AsyncPage() {
  const [state, setState] = useState('');
  const list = useApi<{ items: QueueItem[]; counts: Record<string, number> }>(`/async?limit=50${state ? `&state=${state}` : ''}`, 5_000);
  const dead = useApi<{ items: QueueItem[] }>('/dlq?limit=100', 5_000);
  const [open, setOpen] = useState<QueueItem | null>(null);
  const [notice, setNotice] = useState('');
  const act = useAction(async (what: () => Promise<string>) => {
    setNotice(await what());
    dead.reload();
    list.reload();
  });
  const show = (id: string) => act.run(async () => {
    setOpen(await api<QueueItem>(`/dlq/${enc(id)}`));
    return '';
  });
  return (
    <Page title="Async & dead letters">
      <div class="stats">
        {Object.entries(list.data?.counts ?? {}).map(([k, v]) => (
          <button type="button" class={`stat stat-button${state === k ? ' selected' : ''}`} key={k} onClick={() => setState(state === k ? '' : k)} aria-pressed={state === k}>
            <div class="stat-label">{k}</div>
            <div class="stat-value">{num(v)}</div>
          </button>
        ))}
      </div>
      <ProblemBox error={list.error ?? dead.error ?? act.error} onDismiss={act.error ? act.clear : undefined} />
      {notice ? (
        <p class="ok-text" role="status">
          {notice}
        </p>
      ) : null}
      <div class="grid">
        <Card title={`Dead letters (${num(dead.data?.items.length)})`} wide>
          <div class="toolbar">
            <button
              type="button"
              class="primary"
              disabled={!dead.data?.items.length || act.busy}
              onClick={() => void act.run(async () => `${(await api<{ redriven: number }>('/dlq/redrive', { method: 'POST', json: {} })).redriven} redriven`)}
            >
              Redrive all
            </button>
          </div>
          <div class="table-wrap">
            <table class="table" id="dlq-table">
              <TableHead columns={['Id', 'Target', 'Attempts', hideSm('Why'), ACTIONS]} />
              <tbody>
                <EmptyRow when={dead.data?.items.length === 0} columns={5}>No dead letters.</EmptyRow>
                {dead.data?.items.map((d) => (
                  <tr key={d.id} data-id={d.id}>
                    <td class="mono">{d.id}</td>
                    <td>{d.function ?? d.workflow}</td>
                    <td>{d.attempts}</td>
                    <td class="hide-sm">{d.deadReason}</td>
                    <td class="actions-cell">
                      <button type="button" class="small" onClick={() => void show(d.id)}>
                        Inspect
                      </button>
                      <button type="button" class="small" disabled={act.busy} onClick={() => void act.run(async () => (await api(`/dlq/${enc(d.id)}/redrive`, { method: 'POST' }), `${d.id} redriven`))} aria-label={`Redrive ${d.id}`}>
                        Redrive
                      </button>
                      <button type="button" class="small danger" disabled={act.busy} onClick={() => void act.run(async () => (await api(`/dlq/${enc(d.id)}`, { method: 'DELETE' }), `${d.id} purged`))} aria-label={`Purge ${d.id}`}>
                        Purge
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {open ? (
            <div>
              <h3>Dead letter {open.id}</h3>
              <Pre text={json(open)} label="The dead letter, with its payload" />
              <button type="button" class="small" onClick={() => setOpen(null)}>
                Close
              </button>
            </div>
          ) : null}
        </Card>
        <Card title="Async invocations" wide>
          <div class="table-wrap">
            <table class="table" id="async-table">
              <TableHead columns={['Accepted', 'Target', 'State', 'Attempts', hideSm('Source'), hideSm('Id')]} />
              <tbody>
                {list.data?.items.map((i) => (
                  <tr key={i.id}>
                    <td>{time(i.acceptedAt)}</td>
                    <td>{i.function ?? i.workflow}</td>
                    <td>
                      <StatusBadge status={i.state} />
                    </td>
                    <td>{i.attempts}</td>
                    <td class="hide-sm">{i.source}</td>
                    <td class="hide-sm mono">{i.id}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Card>
      </div>
    </Page>
  );
}
