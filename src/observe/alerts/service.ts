/**
 * Alerts, actuated: rules live in the store (API, CLI, and the config file's, re-read on
 * each start); every interval each rule's metric is measured, evaluate() decides, and a
 * firing or resolving is recorded and sent to the webhook (with retries). Each rule's
 * state is saved when it changes, with its event in the same transaction, and read back
 * at start: an alert firing before a restart is firing after it, and resolves then.
 */
import type { Clock, TimerHandle } from '../../core/clock.ts';
import { NimbusError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { AlertEventRecord, AlertRepo, AlertStateRecord } from '../../store/observe-ports.ts';
import type { RecentWindow } from '../window.ts';
import { evaluate, INITIAL, type AlertState } from './evaluate.ts';
import { describeRule, parseAlertRule, type AlertRule } from './rule.ts';
import type { WebhookSender } from './webhook.ts';

export interface AlertMeasures {
  readonly window: Pick<RecentWindow, 'summary'> & Partial<Pick<RecentWindow, 'coveredFrom'>>;
  /** Dead letters now, of one function or all. */
  dlqSize(functionName: string | undefined): Promise<number>;
  /** List-price cost of the last 24 hours, of one function or all. */
  costPerDay(functionName: string | undefined, now: number): Promise<number>;
}

export interface AlertServiceDeps {
  readonly clock: Clock;
  readonly repo: AlertRepo;
  readonly measures: AlertMeasures;
  readonly intervalMs: number;
  readonly webhook?: WebhookSender;
  readonly onError?: (error: unknown, what: string) => void;
}

export interface AlertView {
  readonly rule: AlertRule;
  readonly origin: string;
  readonly description: string;
  readonly state: AlertState;
}

export class AlertService {
  private readonly states = new Map<string, AlertState>();
  private rules: Array<{ rule: AlertRule; origin: string }> = [];
  private timer: TimerHandle | null = null;
  private running: Promise<void> | null = null;
  /** When this service started: from then on the window is complete, when it does not say (coveredFrom). */
  private startedAt = 0;

  constructor(private readonly deps: AlertServiceDeps) {}

  /** Replaces the config-file rules with `configRules`, loads all, starts the interval. */
  async start(configRules: readonly unknown[] = []): Promise<void> {
    const { repo, clock } = this.deps;
    await repo.deleteRulesOf('config');
    for (const raw of configRules) {
      const rule = parseAlertRule(raw);
      await repo.putRule({ name: rule.name, rule: { ...rule }, origin: 'config', createdAt: clock.now() });
    }
    this.startedAt = clock.now();
    await this.reload();
    for (const saved of await repo.listStates()) {
      if (!this.rules.some((r) => r.rule.name === saved.rule)) await repo.deleteState(saved.rule);
      else this.states.set(saved.rule, { status: saved.status, since: saved.since, value: saved.value });
    }
    this.arm();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  async put(raw: unknown, name: string): Promise<AlertView> {
    const rule = parseAlertRule(raw, name);
    await this.deps.repo.putRule({ name, rule: { ...rule }, origin: 'api', createdAt: this.deps.clock.now() });
    this.states.delete(name);
    await this.deps.repo.deleteState(name);
    await this.reload();
    return this.view(name) as AlertView;
  }

  async remove(name: string): Promise<void> {
    if (!(await this.deps.repo.deleteRule(name))) throw new NimbusError('NIMBUS_ERR_ALERT_RULE_NOT_FOUND', `no alert rule "${name}"; \`nimbus alerts\` lists them`);
    this.states.delete(name);
    await this.deps.repo.deleteState(name);
    await this.reload();
  }

  list(): AlertView[] {
    return this.rules.map((r) => this.view(r.rule.name) as AlertView);
  }

  view(name: string): AlertView | null {
    const r = this.rules.find((x) => x.rule.name === name);
    if (!r) return null;
    return { rule: r.rule, origin: r.origin, description: describeRule(r.rule), state: this.states.get(name) ?? INITIAL };
  }

  /** Evaluates every rule once at `now` (the interval calls this; tests call it directly). */
  async tick(now = this.deps.clock.now()): Promise<AlertEventRecord[]> {
    while (this.running) await this.running;
    const events: AlertEventRecord[] = [];
    const run = (async () => {
      for (const { rule } of this.rules) {
        let value: number | null;
        try {
          value = await this.measure(rule, now);
        } catch (error) {
          this.deps.onError?.(error, `measuring alert ${rule.name}`);
          continue;
        }
        const prev = this.states.get(rule.name) ?? INITIAL;
        const { state, event } = evaluate(rule, prev, value, now, this.covers(rule, now));
        this.states.set(rule.name, state);
        const saved: AlertStateRecord = { rule: rule.name, status: state.status, since: state.since, value: state.value };
        if (!event) {
          if (!sameState(prev, state)) await this.deps.repo.saveState(saved);
          continue;
        }
        const record: AlertEventRecord = {
          id: newId(now),
          rule: rule.name,
          kind: event.kind,
          at: now,
          value: event.value,
          detail: `${rule.name} ${event.kind}: ${describeRule(rule)} (value ${event.value === null ? 'none' : round(event.value)})`,
          delivered: false,
        };
        await this.deps.repo.saveState(saved, record);
        events.push(record);
        this.deps.webhook?.send(record.id, { ...record, rule: { ...rule }, status: event.kind });
      }
    })();
    this.running = run;
    try {
      await run;
    } finally {
      this.running = null;
    }
    return events;
  }

  /**
   * Whether the rule's metric at `now` is taken over its whole window: the recent window
   * holds every record since it began (from this start, or earlier once the store's records
   * are read in). dlq_size and cost_per_day are read from the store.
   */
  private covers(rule: AlertRule, now: number): boolean {
    if (rule.metric === 'dlq_size' || rule.metric === 'cost_per_day') return true;
    return now - rule.windowMs >= (this.deps.measures.window.coveredFrom ?? this.startedAt);
  }

  private async measure(rule: AlertRule, now: number): Promise<number | null> {
    const { measures } = this.deps;
    switch (rule.metric) {
      case 'dlq_size':
        return measures.dlqSize(rule.function);
      case 'cost_per_day':
        return measures.costPerDay(rule.function, now);
    }
    const s = measures.window.summary(rule.function, rule.windowMs, now);
    switch (rule.metric) {
      case 'error_rate':
        return s.requests < Math.max(1, rule.minRequests) ? null : s.errorRate;
      case 'p99_duration_ms':
        return s.requests < Math.max(1, rule.minRequests) ? null : s.p99Ms;
      case 'throttles':
        return s.throttles;
      case 'invocations':
        return s.requests;
      case 'cold_starts':
        return s.coldStarts;
    }
  }

  private async reload(): Promise<void> {
    const rows = await this.deps.repo.listRules();
    this.rules = rows.map((r) => ({ rule: parseAlertRule(r.rule, r.name, { stored: true }), origin: r.origin }));
    for (const name of [...this.states.keys()]) if (!rows.some((r) => r.name === name)) this.states.delete(name);
  }

  private arm(): void {
    this.timer = this.deps.clock.setTimer(this.deps.intervalMs, () => {
      this.tick().catch((e) => this.deps.onError?.(e, 'evaluating alerts')).finally(() => {
        if (this.timer) this.arm();
      });
    });
  }
}

/** The value alone changing is not saved: it is measured again at the next tick. */
function sameState(a: AlertState, b: AlertState): boolean {
  return a.status === b.status && a.since === b.since;
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
