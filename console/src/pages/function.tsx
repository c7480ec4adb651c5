/**
 * One function: its URL and invoke form, versions and aliases (split, rollback), settings,
 * the scale timeline, invocations, live logs, and a deploy of a new version.
 */
import { useState } from 'preact/hooks';
import { Card, Loading, Page, ProblemBox, useAction, useApi } from '../components/ui.tsx';
import { api, enc } from '../api.ts';
import { ms, num } from '../format.ts';
import type { FunctionDetail } from '../types.ts';
import { DeployForm } from './deploy.tsx';
import { InvokeForm } from './invoke-form.tsx';
import { Releases } from './releases.tsx';
import { ScaleTimeline } from './scale-timeline.tsx';
import { InvocationsTable } from './invocations-table.tsx';
import { LiveLogs } from './live-logs.tsx';

export function FunctionPage({ name }: { name: string }) {
  const fn = useApi<FunctionDetail>(`/functions/${enc(name)}`, 15_000);
  const d = fn.data;
  return (
    <Page title={name} actions={d ? <span class="muted">version {d.currentVersion}</span> : null}>
      <ProblemBox error={fn.error} />
      {!d && fn.loading ? <Loading what={name} /> : null}
      {d ? (
        <>
          <p class="muted">
            Reached at <code>{d.url}</code> (<code>@alias</code> or <code>@version</code> after the name for one of those)
          </p>
          <nav class="subnav" aria-label="Sections">
            <a href="#invoke">Invoke</a>
            <a href="#scale">Scaling</a>
            <a href="#releases">Versions & aliases</a>
            <a href="#invocations">Invocations</a>
            <a href="#settings">Settings</a>
            <a href="#logs">Live logs</a>
            <a href="#deploy">Deploy</a>
          </nav>
          <div class="grid">
            <InvokeForm name={name} />
            <ScaleTimeline name={name} />
            <Releases fn={d} onChange={fn.reload} />
            <InvocationsTable name={name} />
            <Settings fn={d} onChange={fn.reload} />
            <LiveLogs name={name} />
            <div id="deploy" class="wide">
              <DeployForm name={name} onDeployed={fn.reload} />
            </div>
          </div>
        </>
      ) : null}
    </Page>
  );
}

function Settings({ fn, onChange }: { fn: FunctionDetail; onChange: () => void }) {
  const c = fn.current?.config;
  if (!c) return null;
  const rows: Array<[string, string]> = [
    ['Runtime', c.runtime],
    ['Memory', `${c.memoryMb} MB`],
    ['Timeout', ms(c.timeoutMs)],
    ['CPU limit', ms(c.cpuLimitMs)],
    ['Concurrency per instance', `${c.concurrency} (target ${c.targetConcurrency})`],
    ['Instances', `${c.minInstances} – ${c.maxInstances}`],
    ['Idle timeout', ms(c.idleTimeoutMs)],
    ['Live override', fn.scaleOverride ? Object.entries(fn.scaleOverride).map(([k, v]) => `${k} ${v}`).join(', ') : 'none'],
    ['Scale-down delay', c.scaleDownDelayMs === undefined ? 'default' : ms(c.scaleDownDelayMs)],
    ['Code', `${num(fn.current!.codeBytes)} bytes · exports ${[fn.current!.exports.fetch ? 'fetch' : '', fn.current!.exports.handler ? 'handler' : ''].filter(Boolean).join(' and ') || 'nothing'}`],
    ['Variables', Object.keys(c.env).join(', ') || 'none'],
    ['Secrets', fn.secrets.join(', ') || 'none (set with `nimbus secrets set`)'],
  ];
  return (
    <div id="settings">
      <Card title="Settings">
        <dl class="kv">
          {rows.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
        <ScaleForm name={fn.name} onChange={onChange} />
      </Card>
    </div>
  );
}

const SCALE_FIELDS = [
  ['minInstances', 'Min instances'],
  ['maxInstances', 'Max instances'],
  ['targetConcurrency', 'Target concurrency'],
] as const;

/** Scaling settings changed live, without a new version (PATCH …/scale); an empty field stays as it is. */
function ScaleForm({ name, onChange }: { name: string; onChange: () => void }) {
  const [values, setValues] = useState<Record<string, string>>({});
  const [done, setDone] = useState('');
  const save = useAction(async () => {
    const patch: Record<string, number> = {};
    for (const [k] of SCALE_FIELDS) if ((values[k] ?? '').trim() !== '') patch[k] = Number(values[k]);
    const s = await api<{ settings: Record<string, number> }>(`/functions/${enc(name)}/scale`, { method: 'PATCH', json: patch });
    setDone(`now ${s.settings.minInstances}–${s.settings.maxInstances} instances, target ${s.settings.targetConcurrency}`);
    setValues({});
    onChange();
  });
  return (
    <form
      class="form inline-form"
      aria-label="Change scaling"
      onSubmit={(e) => {
        e.preventDefault();
        void save.run();
      }}
    >
      {SCALE_FIELDS.map(([k, label]) => (
        <div class="field" key={k}>
          <label for={`scale-${k}`}>{label}</label>
          <input id={`scale-${k}`} type="number" min={0} value={values[k] ?? ''} placeholder="keep" onInput={(e) => setValues({ ...values, [k]: (e.target as HTMLInputElement).value })} />
        </div>
      ))}
      <button type="submit" disabled={save.busy}>
        Change scaling
      </button>
      <ProblemBox error={save.error} onDismiss={save.clear} />
      {done ? (
        <p class="ok-text" role="status">
          {done}
        </p>
      ) : null}
    </form>
  );
}
