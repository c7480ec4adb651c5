/**
 * One function: its URL and invoke form, versions and aliases (split, rollback), settings,
 * the scale timeline, invocations, live logs, and a deploy of a new version.
 */
import { Card, Loading, Page, ProblemBox, useApi } from '../components/ui.tsx';
import { enc } from '../api.ts';
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
            <Settings fn={d} />
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

function Settings({ fn }: { fn: FunctionDetail }) {
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
      </Card>
    </div>
  );
}
