/** Topics (with their subscriptions) and triggers (timers and event subscriptions): list, create a topic, remove. */
import { useState } from 'preact/hooks';
import { api, enc } from '../api.ts';
import { Card, Page, ProblemBox, useAction, useApi } from '../components/ui.tsx';
import { ACTIONS, EmptyRow, RemoveButton, TableHead, hideSm } from '../components/table.tsx';
import { json, time } from '../format.ts';
import { href } from '../router.ts';

interface Topic {
  name: string;
  createdAt: number;
  subscriptions: number;
}

interface Trigger {
  id: string;
  function?: string;
  workflow?: string;
  kind: 'timer' | 'event';
  origin: string;
  topic?: string;
  filter?: unknown;
  schedule?: string;
  timezone?: string | null;
  next?: string[];
  lastFiredAt?: string | null;
}

export function TopicsPage() {
  const topics = useApi<{ items: Topic[] }>('/topics', 10_000);
  const triggers = useApi<{ items: Trigger[] }>('/triggers', 10_000);
  const [name, setName] = useState('');
  const act = useAction(async (what: () => Promise<unknown>) => {
    await what();
    topics.reload();
    triggers.reload();
  });
  return (
    <Page title="Topics & triggers">
      <ProblemBox error={topics.error ?? triggers.error ?? act.error} onDismiss={act.error ? act.clear : undefined} />
      <div class="grid">
        <Card title="Topics">
          <form
            class="toolbar"
            onSubmit={(e) => {
              e.preventDefault();
              void act.run(() => api('/topics', { method: 'POST', json: { name: name.trim() } })).then(() => setName(''));
            }}
          >
            <label for="topic-name">New topic</label>
            <input id="topic-name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
            <button type="submit" class="small">
              Create
            </button>
          </form>
          <table class="table">
            <TableHead columns={['Topic', 'Subscriptions', 'Created', ACTIONS]} />
            <tbody>
              {topics.data?.items.map((t) => (
                <tr key={t.name}>
                  <th scope="row">{t.name}</th>
                  <td>{t.subscriptions}</td>
                  <td>{time(t.createdAt)}</td>
                  <td>
                    <RemoveButton run={act.run} path={`/topics/${enc(t.name)}`} label={`Remove topic ${t.name}`} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
        <Card title="Add a trigger">
          <TriggerForm onCreated={() => triggers.reload()} />
        </Card>
        <Card title="Triggers" wide>
          <div class="table-wrap">
            <table class="table" id="triggers-table">
              <TableHead columns={['Kind', 'Target', 'On', hideSm('Next / filter'), hideSm('Origin'), ACTIONS]} />
              <tbody>
                <EmptyRow when={triggers.data?.items.length === 0} columns={6}>No triggers.</EmptyRow>
                {triggers.data?.items.map((t) => (
                  <tr key={t.id}>
                    <td>{t.kind}</td>
                    <td>
                      {t.function ? <a href={href(`/functions/${encodeURIComponent(t.function)}`)}>{t.function}</a> : <a href={href(`/workflows/${encodeURIComponent(t.workflow ?? '')}`)}>{t.workflow}</a>}
                    </td>
                    <td class="mono">{t.kind === 'timer' ? `${t.schedule}${t.timezone ? ` (${t.timezone})` : ''}` : t.topic}</td>
                    <td class="hide-sm mono">{t.kind === 'timer' ? (t.next ?? []).slice(0, 1).join('') : json(t.filter)}</td>
                    <td class="hide-sm">{t.origin}</td>
                    <td>
                      <RemoveButton run={act.run} path={`/triggers/${enc(t.id)}`} label={`Remove trigger ${t.id}`} />
                    </td>
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

/** A timer (cron schedule) or an event subscription (topic) for a function or a workflow (POST /triggers). */
function TriggerForm({ onCreated }: { onCreated: () => void }) {
  const [kind, setKind] = useState<'timer' | 'event'>('timer');
  const [targetKind, setTargetKind] = useState<'function' | 'workflow'>('function');
  const [target, setTarget] = useState('');
  const [schedule, setSchedule] = useState('*/5 * * * *');
  const [topic, setTopic] = useState('');
  const create = useAction(async () => {
    const body: Record<string, unknown> = { [targetKind]: target.trim() };
    if (kind === 'timer') body.schedule = schedule.trim();
    else body.topic = topic.trim();
    await api('/triggers', { method: 'POST', json: body });
    onCreated();
  });
  return (
    <form
      class="form"
      onSubmit={(e) => {
        e.preventDefault();
        void create.run();
      }}
    >
      <div class="row">
        <div class="field">
          <label for="trigger-kind">Kind</label>
          <select id="trigger-kind" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value as 'timer' | 'event')}>
            <option value="timer">timer (schedule)</option>
            <option value="event">event (topic)</option>
          </select>
        </div>
        <div class="field">
          <label for="trigger-target-kind">Target</label>
          <select id="trigger-target-kind" value={targetKind} onChange={(e) => setTargetKind((e.target as HTMLSelectElement).value as 'function' | 'workflow')}>
            <option value="function">function</option>
            <option value="workflow">workflow</option>
          </select>
        </div>
        <div class="field">
          <label for="trigger-target">Name</label>
          <input id="trigger-target" required value={target} onInput={(e) => setTarget((e.target as HTMLInputElement).value)} />
        </div>
      </div>
      {kind === 'timer' ? (
        <div class="field">
          <label for="trigger-schedule">Schedule (cron, or rate(5 minutes))</label>
          <input id="trigger-schedule" class="mono" required value={schedule} onInput={(e) => setSchedule((e.target as HTMLInputElement).value)} />
        </div>
      ) : (
        <div class="field">
          <label for="trigger-topic">Topic</label>
          <input id="trigger-topic" required value={topic} onInput={(e) => setTopic((e.target as HTMLInputElement).value)} />
        </div>
      )}
      <button type="submit" class="primary" disabled={create.busy}>
        Add trigger
      </button>
      <ProblemBox error={create.error} onDismiss={create.clear} />
    </form>
  );
}
