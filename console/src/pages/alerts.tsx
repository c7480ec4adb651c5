/** Alerts: the rules with their state, the latest firing and resolving events, a form to add or replace a rule. */
import { useState } from 'preact/hooks';
import { api, enc } from '../api.ts';
import { Card, Page, ProblemBox, StatusBadge, useAction, useApi } from '../components/ui.tsx';
import { ACTIONS, RemoveButton, TableHead, hideSm } from '../components/table.tsx';
import { ago, num, time } from '../format.ts';

interface AlertView {
  rule: { name: string; metric: string; function?: string; threshold: number; op?: string };
  origin: string;
  description: string;
  state: { status: string; since: number; value: number | null };
}

interface AlertEvent {
  id: string;
  rule: string;
  kind: string;
  at: number;
  value: number | null;
  detail: string;
  delivered: boolean;
}

const METRICS = ['error_rate', 'p99_duration_ms', 'throttles', 'dlq_size', 'cost_per_day', 'invocations', 'cold_starts'];

export function AlertsPage() {
  const alerts = useApi<{ items: AlertView[]; events: AlertEvent[] }>('/alerts', 10_000);
  const [form, setForm] = useState({ name: '', metric: 'error_rate', fn: '', op: '>', threshold: '0.05', window: '5m', forDuration: '' });
  const set = (k: keyof typeof form) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  const act = useAction(async (what: () => Promise<unknown>) => {
    await what();
    alerts.reload();
  });
  const save = (e: Event) => {
    e.preventDefault();
    const rule: Record<string, unknown> = { metric: form.metric, op: form.op, threshold: Number(form.threshold), window: form.window };
    if (form.fn.trim()) rule.function = form.fn.trim();
    if (form.forDuration.trim()) rule.for = form.forDuration.trim();
    void act.run(() => api(`/alerts/${enc(form.name.trim())}`, { method: 'PUT', json: rule }));
  };
  return (
    <Page title="Alerts">
      <ProblemBox error={alerts.error ?? act.error} onDismiss={act.error ? act.clear : undefined} />
      <div class="grid">
        <Card title="Rules" wide>
          {alerts.data?.items.length === 0 ? <p class="muted">No alert rules.</p> : null}
          <div class="table-wrap">
            <table class="table" id="alerts-table">
              <TableHead columns={['Rule', 'State', 'Condition', 'Value', hideSm('Since'), ACTIONS]} />
              <tbody>
                {alerts.data?.items.map((a) => (
                  <tr key={a.rule.name}>
                    <th scope="row">{a.rule.name}</th>
                    <td>
                      <StatusBadge status={a.state.status} />
                    </td>
                    <td>{a.description}</td>
                    <td>{num(a.state.value, 4)}</td>
                    <td class="hide-sm">{ago(a.state.since)}</td>
                    <td>
                      {a.origin === 'config' ? (
                        <span class="muted">from --alerts</span>
                      ) : (
                        <RemoveButton run={act.run} path={`/alerts/${enc(a.rule.name)}`} label={`Remove alert ${a.rule.name}`} />
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Card>
        <Card title="Add or replace a rule">
          <form class="form" onSubmit={save}>
            <div class="row">
              <div class="field">
                <label for="alert-name">Name</label>
                <input id="alert-name" required value={form.name} onInput={set('name')} />
              </div>
              <div class="field">
                <label for="alert-metric">Metric</label>
                <select id="alert-metric" value={form.metric} onChange={set('metric')}>
                  {METRICS.map((m) => (
                    <option key={m}>{m}</option>
                  ))}
                </select>
              </div>
            </div>
            <div class="row">
              <div class="field">
                <label for="alert-op">Op</label>
                <select id="alert-op" value={form.op} onChange={set('op')}>
                  {['>', '>=', '<', '<='].map((o) => (
                    <option key={o}>{o}</option>
                  ))}
                </select>
              </div>
              <div class="field">
                <label for="alert-threshold">Threshold</label>
                <input id="alert-threshold" type="number" step="any" required value={form.threshold} onInput={set('threshold')} />
              </div>
              <div class="field">
                <label for="alert-window">Window</label>
                <input id="alert-window" value={form.window} onInput={set('window')} />
              </div>
            </div>
            <div class="row">
              <div class="field">
                <label for="alert-fn">Function (optional)</label>
                <input id="alert-fn" value={form.fn} onInput={set('fn')} />
              </div>
              <div class="field">
                <label for="alert-for">For (optional)</label>
                <input id="alert-for" value={form.forDuration} placeholder="1m" onInput={set('forDuration')} />
              </div>
            </div>
            <button type="submit" class="primary" disabled={act.busy}>
              Save rule
            </button>
          </form>
        </Card>
        <Card title="Recent events">
          {alerts.data?.events.length === 0 ? <p class="muted">Nothing has fired.</p> : null}
          <ul class="events">
            {alerts.data?.events.map((e) => (
              <li key={e.id}>
                <StatusBadge status={e.kind} /> <strong>{e.rule}</strong> {time(e.at)} · {e.detail}
                {e.delivered ? null : ' · not delivered'}
              </li>
            ))}
          </ul>
        </Card>
      </div>
    </Page>
  );
}
