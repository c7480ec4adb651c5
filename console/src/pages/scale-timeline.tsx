/** The autoscaler's recent decisions for the function (GET …/scale) as a step chart of desired and current instances. */
import { LineChart } from '../components/charts.tsx';
import { Card, ProblemBox, useApi } from '../components/ui.tsx';
import { enc } from '../api.ts';
import { clock, num } from '../format.ts';
import type { ScaleStatus } from '../types.ts';

export function ScaleTimeline({ name }: { name: string }) {
  const scale = useApi<ScaleStatus>(`/functions/${enc(name)}/scale`, 5_000);
  const s = scale.data;
  const decisions = [...(s?.decisions ?? [])].sort((a, b) => a.at - b.at);
  const last = decisions[decisions.length - 1];
  return (
    <div id="scale">
      <Card title="Scaling">
        <ProblemBox error={scale.error} />
        {s ? (
          <p>
            {`${num(s.ready)} ready · desired ${num(s.desired)} · ${num(s.inFlight)} in flight · ${num(s.queued)} queued${s.mode ? ` · ${s.mode} mode` : ''}${s.override ? ' · live override of the scale settings' : ''}`}
          </p>
        ) : null}
        {decisions.length > 0 ? (
          <>
            <LineChart
              label={`Instances over time for ${name}: desired and current, from the autoscaler's decisions`}
              labels={decisions.map((d) => clock(d.at))}
              series={[
                { name: 'desired', values: decisions.map((d) => d.desired) },
                { name: 'current', values: decisions.map((d) => d.current) },
              ]}
              format={(v) => num(v, 1)}
              step
            />
            {last ? <p class="muted small-text">Latest: {last.reason}</p> : null}
          </>
        ) : (
          <p class="muted">No scaling decisions yet (they come with traffic).</p>
        )}
      </Card>
    </div>
  );
}
