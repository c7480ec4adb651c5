/** Usage and cost: per function and day (charts and a table), and the same report as CSV (GET /usage?format=csv). */
import { useState } from 'preact/hooks';
import { download } from '../api.ts';
import { BarChart } from '../components/charts.tsx';
import { Card, Page, ProblemBox, useAction, useApi } from '../components/ui.tsx';
import { TableHead } from '../components/table.tsx';
import { day, money, num } from '../format.ts';
import type { UsageReport } from '../types.ts';

const RANGES = ['7d', '14d', '30d', '90d'];
const TOP = 5;
const DAY = 86_400_000;

export function UsagePage() {
  const [range, setRange] = useState('7d');
  const report = useApi<UsageReport>(`/usage?by=function-day&since=${range}`, 60_000);
  const csv = useAction(() => download(`/usage?by=function-day&since=${range}&format=csv`, `nimbus-usage-${range}.csv`, 'text/csv'));
  const r = report.data;
  // Every day of the range, traffic or not.
  const today = Math.floor(Date.now() / DAY) * DAY;
  const days = Array.from({ length: Number(range.slice(0, -1)) }, (_, i) => today - (Number(range.slice(0, -1)) - 1 - i) * DAY);
  const byFn = new Map<string, number>();
  for (const l of r?.items ?? []) byFn.set(l.function ?? '', (byFn.get(l.function ?? '') ?? 0) + l.grossCost + l.requests * 1e-12);
  const fns = [...byFn.entries()].sort((a, b) => b[1] - a[1]).map(([f]) => f);
  const shown = fns.slice(0, TOP);
  const series = (key: 'grossCost' | 'requests') => {
    const s = shown.map((f) => ({ name: f, values: days.map((d) => r!.items.filter((l) => l.function === f && l.period === d).reduce((n, l) => n + l[key], 0)) }));
    if (fns.length > TOP) s.push({ name: `${fns.length - TOP} others`, values: days.map((d) => r!.items.filter((l) => l.period === d && !shown.includes(l.function ?? '')).reduce((n, l) => n + l[key], 0)) });
    return s;
  };
  const totals = fns.map((f) => {
    const lines = (r?.items ?? []).filter((l) => l.function === f);
    const sum = (k: 'requests' | 'errors' | 'gbSeconds' | 'cost' | 'grossCost') => lines.reduce((n, l) => n + l[k], 0);
    return { f, requests: sum('requests'), errors: sum('errors'), gbSeconds: sum('gbSeconds'), cost: sum('cost'), grossCost: sum('grossCost') };
  });
  return (
    <Page
      title="Usage & cost"
      actions={
        <button type="button" class="primary" id="download-csv" disabled={csv.busy} onClick={() => void csv.run()}>
          Download CSV
        </button>
      }
    >
      <div class="toolbar">
        <label for="usage-range">Since</label>
        <select id="usage-range" value={range} onChange={(e) => setRange((e.target as HTMLSelectElement).value)}>
          {RANGES.map((x) => (
            <option key={x} value={x}>
              last {x}
            </option>
          ))}
        </select>
        {r ? (
          <span>
            Total: <strong>{money(r.total.cost, r.currency)}</strong> ({money(r.total.grossCost, r.currency)} at list price, before the free tier) · {num(r.total.requests)} requests · {num(r.total.gbSeconds, 3)} GB-s
          </span>
        ) : null}
      </div>
      <ProblemBox error={report.error ?? csv.error} />
      {r ? (
        <div class="grid">
          <Card title="Cost by function and day (list price)">
            <BarChart label="Cost per day at list price, stacked by function" labels={days.map((d) => day(d).slice(5))} series={series('grossCost')} format={(v) => money(v, '').trim()} />
          </Card>
          <Card title="Requests by function and day">
            <BarChart label="Requests per day, stacked by function" labels={days.map((d) => day(d).slice(5))} series={series('requests')} format={(v) => num(v)} />
          </Card>
          <Card title="By function" wide>
            <div class="table-wrap">
              <table class="table" id="usage-table">
                <TableHead columns={['Function', 'Requests', 'Errors', 'GB-s', 'List price', 'Cost']} />
                <tbody>
                  {totals.map((t) => (
                    <tr key={t.f}>
                      <th scope="row">{t.f}</th>
                      <td>{num(t.requests)}</td>
                      <td>{num(t.errors)}</td>
                      <td>{num(t.gbSeconds, 3)}</td>
                      <td>{money(t.grossCost, r.currency)}</td>
                      <td>{money(t.cost, r.currency)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Card>
        </div>
      ) : null}
    </Page>
  );
}
