/** A function's invocations, newest first, filtered by status and age (GET /invocations), paged with `before`. */
import { useState } from 'preact/hooks';
import { Card, ProblemBox, StatusBadge, useApi } from '../components/ui.tsx';
import { EmptyRow, TableHead, hideSm } from '../components/table.tsx';
import { ms, time } from '../format.ts';
import { href } from '../router.ts';
import type { InvocationRecord } from '../types.ts';

const STATUSES = ['', 'success', 'error', 'timeout', 'cpu_limit', 'memory_limit', 'crashed', 'throttled'];
const AGES = ['', '15m', '1h', '24h', '7d'];

export function InvocationsTable({ name }: { name: string }) {
  const [status, setStatus] = useState('');
  const [since, setSince] = useState('');
  // Fixed when the filter is chosen, so the query (and its refresh) stays the same.
  const [sinceAt, setSinceAt] = useState<number | null>(null);
  const [before, setBefore] = useState<string[]>([]);
  const q = new URLSearchParams({ function: name, limit: '20' });
  if (status) q.set('status', status);
  if (sinceAt !== null) q.set('since', String(sinceAt));
  const cursor = before[before.length - 1];
  if (cursor) q.set('before', cursor);
  const list = useApi<{ items: InvocationRecord[]; next: string | null }>(`/invocations?${q}`, cursor ? undefined : 3_000);
  return (
    <div id="invocations" class="wide">
      <Card title="Invocations" wide>
        <form class="toolbar" onSubmit={(e) => e.preventDefault()} aria-label="Filter invocations">
          <label for="inv-status">Status</label>
          <select
            id="inv-status"
            value={status}
            onChange={(e) => {
              setStatus((e.target as HTMLSelectElement).value);
              setBefore([]);
            }}
          >
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s || 'any'}
              </option>
            ))}
          </select>
          <label for="inv-since">Since</label>
          <select
            id="inv-since"
            value={since}
            onChange={(e) => {
              const v = (e.target as HTMLSelectElement).value;
              setSince(v);
              setSinceAt(v ? Date.now() - ageMs(v) : null);
              setBefore([]);
            }}
          >
            {AGES.map((a) => (
              <option key={a} value={a}>
                {a ? `last ${a}` : 'any time'}
              </option>
            ))}
          </select>
        </form>
        <ProblemBox error={list.error} />
        <div class="table-wrap">
          <table class="table" id="invocations-table">
            <TableHead columns={['Started', 'Status', 'Version', hideSm('Trigger'), 'Duration', hideSm('Cold'), 'Id']} />
            <tbody>
              <EmptyRow when={list.data?.items.length === 0} columns={7}>No invocations match.</EmptyRow>
              {list.data?.items.map((r) => (
                <tr key={r.id}>
                  <td>{time(r.startedAt)}</td>
                  <td>
                    <StatusBadge status={r.status} />
                  </td>
                  <td>
                    {r.version}
                    {r.alias ? <span class="muted"> @{r.alias}</span> : null}
                  </td>
                  <td class="hide-sm">{r.trigger}</td>
                  <td>{ms(r.durationMs)}</td>
                  <td class="hide-sm">{r.coldStart ? 'cold' : null}</td>
                  <td>
                    <a href={href(`/invocations/${encodeURIComponent(r.id)}`)} class="mono">
                      {r.id}
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div class="pager">
          <button type="button" class="small" disabled={before.length === 0} onClick={() => setBefore(before.slice(0, -1))}>
            Newer
          </button>
          <button type="button" class="small" disabled={!list.data?.next} onClick={() => list.data?.next && setBefore([...before, list.data.next])}>
            Older
          </button>
        </div>
      </Card>
    </div>
  );
}

function ageMs(age: string): number {
  const n = Number(age.slice(0, -1));
  return n * ({ m: 60_000, h: 3_600_000, d: 86_400_000 }[age.slice(-1)] ?? 0);
}
