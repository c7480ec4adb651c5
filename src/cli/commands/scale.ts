/**
 * `nimbus scale <name> [--min N] [--max N] [--target N] [--concurrency N] [--idle 30s]
 *   [--scale-down-delay 30s] [--reset]`:
 * changes scaling settings live (no new version); with no setting flags, shows the scale
 * status. Also the scale section of `nimbus info`.
 */
import { parseDuration } from '../../config/config.ts';
import { flag, has, onlyFlags, UsageError, type ParsedArgs } from '../args.ts';
import { call, type ClientOptions } from '../client.ts';
import { ms, print, printJson, table, time } from '../format.ts';

export interface ScaleSettingsView {
  targetConcurrency: number;
  concurrency: number;
  minInstances: number;
  maxInstances: number;
  idleTimeoutMs: number;
  scaleDownDelayMs: number;
}

export interface ScaleDecisionView {
  at: number;
  version: number;
  trigger: string;
  desired: number;
  current: number;
  mode: string;
  boundBy: string;
  limitedBy: string | null;
  started: number;
  retired: number;
  reason: string;
}

export interface ScaleStatusView {
  name: string;
  version: number;
  settings: ScaleSettingsView;
  override: Partial<ScaleSettingsView> | null;
  maxInstancesEffective: number;
  current: number;
  desired: number;
  ready: number;
  starting: number;
  draining: number;
  inFlight: number;
  queued: number;
  mode: string | null;
  latest: ScaleDecisionView | null;
  decisions: ScaleDecisionView[];
}

const FLAGS: ReadonlyArray<readonly [string, keyof ScaleSettingsView]> = [
  ['min', 'minInstances'],
  ['max', 'maxInstances'],
  ['target', 'targetConcurrency'],
  ['concurrency', 'concurrency'],
];

export function scaleBody(args: ParsedArgs): Record<string, number | null> {
  const body: Record<string, number | null> = {};
  if (has(args, 'reset')) {
    for (const [, field] of FLAGS) body[field] = null;
    body.idleTimeoutMs = null;
    body.scaleDownDelayMs = null;
  }
  for (const [name, field] of FLAGS) {
    const raw = flag(args, name);
    if (raw === undefined) continue;
    const n = Number(raw);
    if (!Number.isInteger(n)) throw new UsageError(`--${name} ${JSON.stringify(raw)} is not a whole number`);
    body[field] = n;
  }
  const idle = flag(args, 'idle');
  if (idle !== undefined) body.idleTimeoutMs = parseDuration(idle, 'idle');
  const delay = flag(args, 'scale-down-delay');
  if (delay !== undefined) body.scaleDownDelayMs = parseDuration(delay, 'scale-down-delay');
  return body;
}

/** The lines `nimbus info` and `nimbus scale` print. */
export function scaleLines(s: ScaleStatusView, decisions = 5): string[] {
  const c = s.settings;
  const live = s.override && Object.keys(s.override).length > 0 ? `  (live override: ${Object.keys(s.override).join(', ')})` : '';
  const cap = s.maxInstancesEffective < c.maxInstances ? ` (platform cap ${s.maxInstancesEffective})` : '';
  const lines = [
    `  scaling   target ${c.targetConcurrency}/instance, hard limit ${c.concurrency}, min ${c.minInstances}, max ${c.maxInstances}${cap}, to zero after ${ms(c.idleTimeoutMs)} idle, down after ${ms(c.scaleDownDelayMs)} of less${live}`,
    `  instances ${s.current} (desired ${s.desired}): ${s.ready} ready, ${s.starting} starting, ${s.draining} draining; ${s.inFlight} in flight, ${s.queued} queued${s.mode ? `; ${s.mode} mode` : ''}`,
  ];
  if (s.latest) lines.push(`  decided   ${s.latest.reason}`);
  const recent = s.decisions.slice(0, decisions);
  if (recent.length > 0) {
    lines.push('  recent decisions (newest first):');
    const rows = recent.map((d) => [
      time(d.at).slice(11),
      d.trigger,
      `${d.current}→${d.desired}`,
      d.mode,
      d.limitedBy ? `${d.boundBy}, ${d.limitedBy}` : d.boundBy,
      d.started ? `+${d.started}` : d.retired ? `-${d.retired}` : '',
    ]);
    lines.push(...table(['TIME', 'WHY', 'COUNT', 'MODE', 'BOUND BY', 'ACTED'], rows).split('\n').map((l) => '    ' + l));
  }
  return lines;
}

export async function scale(client: ClientOptions, args: ParsedArgs): Promise<number> {
  onlyFlags(args, ['min', 'max', 'target', 'concurrency', 'idle', 'scale-down-delay', 'reset', 'json']);
  const [name] = args.positionals;
  if (!name) throw new UsageError('usage: nimbus scale <name> [--min N] [--max N] [--target N] [--concurrency N] [--idle 30s] [--scale-down-delay 30s] [--reset]');
  const body = scaleBody(args);
  const path = `/api/v1/functions/${encodeURIComponent(name)}/scale`;
  const changing = Object.keys(body).length > 0;
  const s = (await call(client, changing ? 'PATCH' : 'GET', path, changing ? body : undefined)).body as ScaleStatusView;
  if (has(args, 'json')) return (printJson(s), 0);
  print(changing ? `✓ ${name} version ${s.version}: scaling changed live (no new version)` : `${name} version ${s.version}`);
  for (const line of scaleLines(s, changing ? 3 : 10)) print(line);
  return 0;
}
