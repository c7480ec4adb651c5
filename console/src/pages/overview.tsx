/**
 * Overview: the platform now (requests, errors, p50/p99 over the last 5 minutes, instances,
 * cost today) and over time: requests and errors per hour for 24 hours from usage, and
 * latency and instances sampled from /top while the page is open.
 */
import { useEffect, useState } from 'preact/hooks';
import { BarChart, LineChart } from '../components/charts.tsx';
import { Card, Page, ProblemBox, Stat, useApi } from '../components/ui.tsx';
import { TableHead } from '../components/table.tsx';
import { clock, money, ms, num } from '../format.ts';
import { href } from '../router.ts';
import type { Top, UsageReport } from '../types.ts';

const HOUR = 3_600_000;
const KEEP_SAMPLES = 120;

interface Sample {
  at: number;
  p50: number | null;
  p99: number | null;
  instances: number;
  rps: number;
}

function startOfDayUtc(now: number): number {
  return Math.floor(now / 86_400_000) * 86_400_000;
}

export function Overview() {
  const top = useApi<Top>('/top?window=5m', 5_000);
  const now = Date.now();
  const [dayStart] = useState(() => startOfDayUtc(now));
  const hourly = useApi<UsageReport>('/usage?by=hour&since=24h', 30_000);
  const today = useApi<UsageReport>(`/usage?by=day&since=${dayStart}`, 30_000);
  const [samples, setSamples] = useState<Sample[]>([]);
  useEffect(() => {
    const t = top.data;
    if (!t) return;
    setSamples((old) => [...old.slice(-(KEEP_SAMPLES - 1)), { at: t.at, p50: t.total.p50Ms, p99: t.total.p99Ms, instances: t.total.instances, rps: t.total.rps }]);
  }, [top.data]);

  const hours = Array.from({ length: 24 }, (_, i) => Math.floor(now / HOUR) * HOUR - (23 - i) * HOUR);
  const perHour = (key: 'requests' | 'errors') =>
    hours.map((h) => (hourly.data?.items ?? []).filter((l) => l.period === h).reduce((n, l) => n + l[key], 0));
  const total = top.data?.total;
  const busiest = [...(top.data?.items ?? [])].sort((a, b) => b.requests - a.requests).slice(0, 8);
  return (
    <Page title="Overview">
      <ProblemBox error={top.error ?? hourly.error} />
      <div class="stats" aria-label="The last 5 minutes">
        <Stat label="Requests (5 min)" value={num(total?.requests)} sub={total ? `${num(total.rps, 2)}/s` : undefined} />
        <Stat label="Errors (5 min)" value={num(total?.errors)} sub={total ? `${num(total.errorRate * 100, 2)} %` : undefined} />
        <Stat label="p50" value={ms(total?.p50Ms)} />
        <Stat label="p99" value={ms(total?.p99Ms)} />
        <Stat label="Instances" value={num(total?.instances)} sub={total ? `${num(total.inFlight)} in flight` : undefined} />
        <Stat
          label="Cost today (UTC)"
          value={money(today.data?.total.cost, today.data?.currency)}
          sub={today.data ? `list price ${money(today.data.total.grossCost, today.data.currency)} · ${num(today.data.total.requests)} requests` : undefined}
        />
      </div>
      <div class="grid">
        <Card title="Requests and errors per hour (24 h)">
          <BarChart
            label="Requests and errors per hour over the last 24 hours"
            labels={hours.map((h) => clock(h).slice(0, 5))}
            series={[
              { name: 'successful', values: perHour('requests').map((r, i) => r - perHour('errors')[i]) },
              { name: 'errors', values: perHour('errors') },
            ]}
            format={(v) => num(v)}
          />
        </Card>
        <Card title="Latency (live, 5-minute window)">
          {samples.length < 2 ? <p class="muted">Sampling every 5 s while this page is open…</p> : null}
          <LineChart
            label="p50 and p99 duration over time"
            labels={samples.map((s) => clock(s.at))}
            series={[
              { name: 'p50', values: samples.map((s) => s.p50) },
              { name: 'p99', values: samples.map((s) => s.p99) },
            ]}
            format={(v) => ms(v)}
          />
        </Card>
        <Card title="Instances (live)">
          <LineChart label="Live instances over time" labels={samples.map((s) => clock(s.at))} series={[{ name: 'instances', values: samples.map((s) => s.instances) }]} format={(v) => num(v, 1)} step />
        </Card>
        <Card title="Busiest functions (5 min)">
          {busiest.length === 0 ? <p class="muted">No traffic in the last 5 minutes.</p> : null}
          <table class="table">
            <TableHead columns={['Function', 'Requests', 'Errors', 'p99', 'Instances']} />
            <tbody>
              {busiest.map((f) => (
                <tr key={f.function}>
                  <th scope="row">
                    <a href={href(`/functions/${encodeURIComponent(f.function)}`)}>{f.function}</a>
                  </th>
                  <td>{num(f.requests)}</td>
                  <td>{num(f.errors)}</td>
                  <td>{ms(f.p99Ms)}</td>
                  <td>{num(f.instances)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      </div>
    </Page>
  );
}
