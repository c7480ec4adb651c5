/** Functions: every deployed function with its live instances and a sparkline of its requests over the last 24 hours. */
import { useMemo, useState } from 'preact/hooks';
import { Sparkline } from '../components/charts.tsx';
import { Loading, Page, ProblemBox, useApi } from '../components/ui.tsx';
import { TableHead, hideSm } from '../components/table.tsx';
import { ago, num } from '../format.ts';
import { href } from '../router.ts';
import type { FunctionItem, UsageReport } from '../types.ts';
import { DeployForm } from './deploy.tsx';

const HOUR = 3_600_000;
/** Rows shown at first and added by "Show more": a page with a thousand functions renders at once what fits a few screens. */
export const PAGE_ROWS = 100;

/** Requests per hour for each function over the last 24 hours, oldest first. */
export function hourlyRequests(report: UsageReport | undefined, now: number): Map<string, number[]> {
  const out = new Map<string, number[]>();
  if (!report) return out;
  const start = Math.floor(now / HOUR) * HOUR - 23 * HOUR;
  for (const line of report.items) {
    if (line.function === null || line.period === null) continue;
    const i = Math.round((line.period - start) / HOUR);
    if (i < 0 || i > 23) continue;
    let row = out.get(line.function);
    if (!row) out.set(line.function, (row = new Array<number>(24).fill(0)));
    row[i] += line.requests;
  }
  return out;
}

export function FunctionList() {
  const list = useApi<{ items: FunctionItem[] }>('/functions', 10_000);
  // Usage may be off (--no-observability): the list stands without its sparklines.
  const usage = useApi<UsageReport>('/usage?by=hour&since=24h', 60_000);
  const [filter, setFilter] = useState('');
  const [deploying, setDeploying] = useState(false);
  const [shown, setShown] = useState(PAGE_ROWS);
  const now = Date.now();
  const spark = useMemo(() => hourlyRequests(usage.data, now), [usage.data]);
  const items = (list.data?.items ?? []).filter((f) => f.name.toLowerCase().includes(filter.trim().toLowerCase()));
  return (
    <Page
      title="Functions"
      actions={
        <button type="button" class="primary" onClick={() => setDeploying(!deploying)} aria-expanded={deploying}>
          {deploying ? 'Close' : 'Deploy a function'}
        </button>
      }
    >
      {deploying ? <DeployForm onDeployed={() => list.reload()} /> : null}
      <div class="toolbar">
        <label for="fn-filter">Filter</label>
        <input
          id="fn-filter"
          type="search"
          placeholder="name contains…"
          value={filter}
          onInput={(e) => {
            setFilter((e.target as HTMLInputElement).value);
            setShown(PAGE_ROWS);
          }}
        />
        <span class="muted" id="functions-count">
          {list.data ? `${Math.min(shown, items.length)} shown · ${items.length} of ${list.data.items.length}` : null}
        </span>
      </div>
      <ProblemBox error={list.error} />
      {!list.data && list.loading ? <Loading what="functions" /> : null}
      {list.data && list.data.items.length === 0 ? <p class="muted">No functions yet: deploy one with the button above or `nimbus deploy`.</p> : null}
      {items.length > 0 ? (
        <div class="table-wrap">
          <table class="table" id="functions-table">
            <TableHead columns={['Name', 'Version', hideSm('Runtime'), hideSm('Memory'), 'Instances', 'Requests, 24 h', hideSm('Updated')]} />
            <tbody>
              {items.slice(0, shown).map((f) => {
                const values = spark.get(f.name) ?? [];
                const total = values.reduce((a, b) => a + b, 0);
                return (
                  <tr key={f.name}>
                    <th scope="row">
                      <a href={href(`/functions/${encodeURIComponent(f.name)}`)}>{f.name}</a>
                    </th>
                    <td>{f.currentVersion}</td>
                    <td class="hide-sm">{f.config?.runtime ?? '–'}</td>
                    <td class="hide-sm">{f.config ? `${f.config.memoryMb} MB` : '–'}</td>
                    <td>{num(f.instances)}</td>
                    <td class="spark-cell">
                      <Sparkline values={values.length ? values : new Array<number>(24).fill(0)} label={`${f.name} requests per hour`} />
                      <span class="muted">{num(total)}</span>
                    </td>
                    <td class="hide-sm">{ago(f.updatedAt, now)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {items.length > shown ? (
            <div class="pager">
              <button type="button" class="small" onClick={() => setShown(shown + PAGE_ROWS)}>
                {`Show ${Math.min(PAGE_ROWS, items.length - shown)} more (${items.length - shown} not shown)`}
              </button>
            </div>
          ) : null}
        </div>
      ) : null}
    </Page>
  );
}
