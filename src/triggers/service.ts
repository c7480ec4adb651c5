/**
 * Trigger management used by the API and by deploys: checks the target exists (a trigger
 * or subscription for a missing function or workflow is refused), creates the topic of a
 * subscription if needed, stores, and tells the cron runner.
 */
import type { Clock } from '../core/clock.ts';
import { NimbusError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { TopicRepo, TriggerInput, TriggerOrigin, TriggerRecord, TriggerRepo } from '../store/queue-ports.ts';
import type { TriggerSource } from './source.ts';
import { validateTrigger, type TriggerDefinition, type TriggerTarget } from './definition.ts';

export interface TriggerServiceDeps {
  readonly clock: Clock;
  /** Why a function target (`name` or `name@qualifier`) cannot be served, or null (the dispatcher's catalog). */
  readonly targetProblem: (target: string) => Promise<NimbusError | null>;
  readonly triggers: TriggerRepo;
  readonly topics: TopicRepo;
  /** The timers' source, reloaded when a timer is added or removed. */
  readonly cron: TriggerSource;
  /** The topics' source, reloaded when a subscription is added or removed (absent: it reads them when it needs them). */
  readonly topicSource?: TriggerSource;
  /** Whether a workflow of this name is deployed (triggers may start workflows). */
  readonly workflowExists?: (name: string) => Promise<boolean>;
}

export function triggerNotFound(id: string): NimbusError {
  return new NimbusError('NIMBUS_ERR_TRIGGER_NOT_FOUND', `no trigger ${id}; \`nimbus triggers ls\` lists them`);
}

export class TriggerService {
  constructor(private readonly deps: TriggerServiceDeps) {}

  private async mustHaveFunction(name: string): Promise<void> {
    const problem = await this.deps.targetProblem(name);
    if (problem === null) return;
    const detail = problem.code === 'NIMBUS_ERR_FUNCTION_NOT_FOUND' ? `function "${name}" does not exist; deploy it before adding triggers to it` : problem.message;
    throw new NimbusError(problem.code, detail, { extra: { field: 'function' } });
  }

  private async mustHaveWorkflow(name: string): Promise<void> {
    if (!this.deps.workflowExists || !(await this.deps.workflowExists(name))) {
      throw new NimbusError('NIMBUS_ERR_WORKFLOW_NOT_FOUND', `workflow "${name}" does not exist; deploy it (\`nimbus wf deploy ${name} <file>\`) before adding triggers to it`, {
        extra: { field: 'workflow' },
      });
    }
  }

  private input(target: string | TriggerTarget, def: TriggerDefinition, origin: TriggerOrigin): TriggerInput {
    const now = this.deps.clock.now();
    const t: TriggerTarget = typeof target === 'string' ? { function: target } : target;
    const to = 'workflow' in t ? { functionName: '', workflow: t.workflow } : { functionName: t.function, workflow: null };
    const common = { id: newId(now), ...to, origin, createdAt: now };
    return def.kind === 'timer'
      ? { ...common, kind: 'timer', schedule: def.schedule, timezone: def.timezone, missed: def.missed, input: def.input }
      : { ...common, kind: 'event', topic: def.topic, filter: def.filter };
  }

  private async ensureTopics(defs: readonly TriggerDefinition[]): Promise<void> {
    for (const d of defs) if (d.kind === 'event') await this.deps.topics.create(d.topic, this.deps.clock.now());
  }

  /** Validates and creates one trigger (API) for a function (a name) or a workflow. */
  async create(target: string | TriggerTarget, body: unknown): Promise<TriggerRecord> {
    const def = validateTrigger(body);
    const t: TriggerTarget = typeof target === 'string' ? { function: target } : target;
    if ('workflow' in t) await this.mustHaveWorkflow(t.workflow);
    else await this.mustHaveFunction(t.function);
    await this.ensureTopics([def]);
    const record = await this.deps.triggers.create(this.input(t, def, 'api'));
    if (record.kind === 'timer') await this.deps.cron.reload();
    else await this.deps.topicSource?.reload();
    return record;
  }

  async remove(id: string): Promise<void> {
    const existing = await this.deps.triggers.get(id);
    if (!existing || !(await this.deps.triggers.delete(id))) throw triggerNotFound(id);
    if (existing.kind === 'timer') await this.deps.cron.reload();
    else await this.deps.topicSource?.reload();
  }

  /** Validates a deploy's `triggers` list without storing anything (before the deploy). */
  validateDeclared(list: unknown): TriggerDefinition[] {
    if (!Array.isArray(list)) throw new NimbusError('NIMBUS_ERR_VALIDATION', 'triggers: must be an array of triggers', { extra: { field: 'triggers' } });
    if (list.length > 100) throw new NimbusError('NIMBUS_ERR_VALIDATION', 'triggers: at most 100 per function', { extra: { field: 'triggers' } });
    return list.map((t, i) => {
      if (typeof t === 'object' && t !== null && 'workflow' in t) {
        throw new NimbusError('NIMBUS_ERR_VALIDATION', `triggers[${i}].workflow: a function's declared triggers invoke that function; start a workflow from a trigger with \`nimbus triggers add --workflow <name>\` (POST /api/v1/triggers)`, {
          extra: { field: `triggers[${i}].workflow` },
        });
      }
      return validateTrigger(t, `triggers[${i}]`);
    });
  }

  /** Replaces the function's deploy-declared triggers (API-created ones stay). */
  async applyDeclared(functionName: string, defs: readonly TriggerDefinition[]): Promise<TriggerRecord[]> {
    await this.ensureTopics(defs);
    const records = await this.deps.triggers.replaceDeclared(functionName, defs.map((d) => this.input(functionName, d, 'deploy')));
    await this.deps.cron.reload();
    await this.deps.topicSource?.reload();
    return records;
  }

  /** Timer triggers were deleted behind the service's back (with a workflow): reschedule. */
  async reloadTimers(): Promise<void> {
    await this.deps.cron.reload();
  }

  /** The function was deleted: its triggers go with it. */
  async removeForFunction(functionName: string): Promise<number> {
    const n = await this.deps.triggers.deleteForFunction(functionName);
    if (n > 0) {
      await this.deps.cron.reload();
      await this.deps.topicSource?.reload();
    }
    return n;
  }
}
