/** Workflows: the definitions, and one workflow's graph, versions, executions and a start form. */
import { useState } from 'preact/hooks';
import { api, enc } from '../api.ts';
import { Card, Loading, Page, Pre, ProblemBox, StatusBadge, useAction, useApi } from '../components/ui.tsx';
import { TableHead, hideSm } from '../components/table.tsx';
import { StateGraph } from '../components/state-graph.tsx';
import { ago, json, time } from '../format.ts';
import { href, navigate } from '../router.ts';

interface WorkflowItem {
  name: string;
  currentVersion: number;
  createdAt: number;
  updatedAt: number;
}

interface WorkflowDetail extends WorkflowItem {
  definition: { StartAt?: string; Comment?: string; States?: Record<string, unknown> };
  definitionVersion: number;
  versions: Array<{ version: number; hash: string; createdAt: number }>;
  running: number;
}

export interface Execution {
  executionId: string;
  name: string;
  workflow: string;
  version: number;
  status: string;
  input: unknown;
  output: unknown;
  error: string | null;
  cause: string | null;
  startedAt: number;
  stoppedAt: number | null;
  transitions: number;
  historyEvents: number;
  redriveCount: number;
  waitingFor?: unknown[];
}

export function WorkflowList() {
  const list = useApi<{ items: WorkflowItem[] }>('/workflows', 10_000);
  const recent = useApi<{ items: Execution[] }>('/executions?limit=20', 5_000);
  return (
    <Page title="Workflows">
      <ProblemBox error={list.error ?? recent.error} />
      {!list.data && list.loading ? <Loading what="workflows" /> : null}
      <div class="grid">
        <Card title="Definitions">
          {list.data?.items.length === 0 ? <p class="muted">No workflows: `nimbus wf deploy &lt;name&gt; definition.json`.</p> : null}
          <table class="table" id="workflows-table">
            <TableHead columns={['Workflow', 'Version', 'Updated']} />
            <tbody>
              {list.data?.items.map((w) => (
                <tr key={w.name}>
                  <th scope="row">
                    <a href={href(`/workflows/${encodeURIComponent(w.name)}`)}>{w.name}</a>
                  </th>
                  <td>{w.currentVersion}</td>
                  <td>{ago(w.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
        <Card title="Recent executions">
          <ExecutionsTable items={recent.data?.items ?? []} showWorkflow />
        </Card>
      </div>
    </Page>
  );
}

export function ExecutionsTable({ items, showWorkflow }: { items: Execution[]; showWorkflow?: boolean }) {
  if (items.length === 0) return <p class="muted">No executions.</p>;
  return (
    <div class="table-wrap">
      <table class="table" id="executions-table">
        <TableHead columns={['Execution', 'Workflow', 'Status', hideSm('Started')]} />
        <tbody>
          {items.map((x) => (
            <tr key={x.executionId}>
              <th scope="row">
                <a href={href(`/executions/${encodeURIComponent(x.executionId)}`)}>{x.name}</a>
              </th>
              {showWorkflow ? <td>{x.workflow}</td> : null}
              <td>
                <StatusBadge status={x.status} />
              </td>
              <td class="hide-sm">{time(x.startedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const EXEC_STATUSES = ['', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

export function WorkflowPage({ name }: { name: string }) {
  const wf = useApi<WorkflowDetail>(`/workflows/${enc(name)}`, 15_000);
  const [status, setStatus] = useState('');
  const execs = useApi<{ items: Execution[] }>(`/executions?workflow=${enc(name)}&limit=50${status ? `&status=${status}` : ''}`, 5_000);
  const [input, setInput] = useState('{}');
  const start = useAction(async () => {
    const x = await api<Execution>(`/workflows/${enc(name)}/executions`, { method: 'POST', json: { input: JSON.parse(input) } });
    navigate(`/executions/${enc(x.executionId)}`);
  });
  const d = wf.data;
  return (
    <Page title={name} actions={d ? <span class="muted">version {d.currentVersion}</span> : null}>
      <ProblemBox error={wf.error ?? execs.error} />
      {d ? (
        <div class="grid">
          <Card title="State machine" wide>
            {d.definition.Comment ? <p class="muted">{d.definition.Comment}</p> : null}
            <StateGraph definition={d.definition} />
          </Card>
          <Card title="Start an execution">
            <form
              class="form"
              onSubmit={(e) => {
                e.preventDefault();
                void start.run();
              }}
            >
              <div class="field">
                <label for="exec-input">Input (JSON)</label>
                <textarea id="exec-input" class="mono" rows={5} value={input} onInput={(e) => setInput((e.target as HTMLTextAreaElement).value)} />
              </div>
              <button type="submit" class="primary" disabled={start.busy}>
                Start
              </button>
            </form>
            <ProblemBox error={start.error} onDismiss={start.clear} />
          </Card>
          <Card title="Executions">
            <div class="toolbar">
              <label for="exec-status">Status</label>
              <select id="exec-status" value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
                {EXEC_STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {s || 'any'}
                  </option>
                ))}
              </select>
            </div>
            <ExecutionsTable items={execs.data?.items ?? []} />
          </Card>
          <Card title="Versions">
            <ul>
              {d.versions.map((v) => (
                <li key={v.version}>
                  {v.version} · {time(v.createdAt)} · <code>{v.hash.slice(0, 12)}</code>
                </li>
              ))}
            </ul>
          </Card>
          <Card title="Definition (JSON)" wide>
            <Pre text={json(d.definition)} label="The definition" />
          </Card>
        </div>
      ) : null}
    </Page>
  );
}
