/**
 * parseStateMachine: JSON/YAML text (or an object) → a validated, compiled StateMachine.
 * Every problem is collected (not just the first) and reported in one NimbusError with
 * `extra.errors: [{ path, state, field, message }]`.
 */
import { NimbusError } from '../../../core/errors.ts';
import { deepFreeze, isObject, typeName } from '../json.ts';
import { MAX_SECONDS, resolveLimits, type AslLimits } from '../limits.ts';
import type { CompiledState, Scope, StateMachine } from '../model.ts';
import type { Json, JsonObject, QueryLanguage } from '../types.ts';
import { BRANCH_FIELDS, PROCESSOR_FIELDS, TOP_LEVEL_FIELDS } from './fields.ts';
import { Site, type ValidationIssue } from './issues.ts';
import { loadDefinition } from './load.ts';
import { compileState } from './state.ts';

export interface ParseOptions {
  readonly limits?: Partial<AslLimits>;
}

/**
 * A record keyed by state names, which are any text: without a prototype, `__proto__` is a
 * name like another and `toString` or `constructor` name no state unless one is defined.
 */
function byName<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

interface ScopeDraft {
  id: string;
  startAt: string | null;
  startSite: Site;
  states: Record<string, CompiledState>;
  sites: Record<string, Site>;
  parent: string | null;
  owner: string | null;
  depth: number;
  assigned: Map<string, Site>;
}

class MachineBuilder {
  readonly issues: ValidationIssue[] = [];
  private readonly drafts = new Map<string, ScopeDraft>();
  private readonly names = new Map<string, string>();
  private ql: QueryLanguage = 'JSONPath';

  constructor(private readonly limits: AslLimits) {}

  build(raw: Json): Omit<StateMachine, 'definition' | 'limits'> | null {
    const root = new Site(this.issues, '', null, null);
    if (!isObject(raw)) {
      root.report(`the definition must be a JSON object, got ${typeName(raw)}`);
      return null;
    }
    for (const key of Object.keys(raw)) if (!TOP_LEVEL_FIELDS.has(key)) root.at(key).report(`the top-level field "${key}" is not supported`);
    if (raw.QueryLanguage !== undefined) {
      if (raw.QueryLanguage === 'JSONPath' || raw.QueryLanguage === 'JSONata') this.ql = raw.QueryLanguage;
      else root.at('QueryLanguage').report(`QueryLanguage must be "JSONPath" or "JSONata"`);
    }
    if (raw.Version !== undefined && raw.Version !== '1.0') root.at('Version').report(`Version must be "1.0"`);
    if (raw.Comment !== undefined && typeof raw.Comment !== 'string') root.at('Comment').report(`Comment must be a string`);
    let timeoutSeconds: number | null = null;
    if (raw.TimeoutSeconds !== undefined) {
      const t = raw.TimeoutSeconds;
      if (typeof t === 'number' && Number.isInteger(t) && t > 0 && t <= MAX_SECONDS) timeoutSeconds = t;
      else root.at('TimeoutSeconds').report(`TimeoutSeconds must be a positive integer, got ${JSON.stringify(t)}`);
    }
    this.addScope(raw, root, '', null, null, 0, TOP_LEVEL_FIELDS, true);
    this.checkTransitions();
    this.checkVariables();
    if (this.issues.length > 0) return null;
    const scopes: Record<string, Scope> = {};
    const states = byName<CompiledState>();
    for (const d of this.drafts.values()) {
      scopes[d.id] = {
        id: d.id,
        startAt: d.startAt!,
        states: d.states,
        parent: d.parent,
        owner: d.owner,
        depth: d.depth,
        variables: [...d.assigned.keys()],
      };
      Object.assign(states, d.states);
    }
    return {
      queryLanguage: this.ql,
      comment: typeof raw.Comment === 'string' ? raw.Comment : null,
      timeoutSeconds,
      scopes,
      states,
    };
  }

  private addScope(
    raw: Json,
    site: Site,
    id: string,
    parent: string | null,
    owner: string | null,
    depth: number,
    fields: ReadonlySet<string>,
    top = false,
  ): string | null {
    if (!isObject(raw)) {
      site.report(`expected an object with "StartAt" and "States", got ${typeName(raw)}`);
      return null;
    }
    if (!top) for (const key of Object.keys(raw)) if (!fields.has(key)) site.at(key).report(`the field "${key}" is not supported here`);
    if (depth > this.limits.maxNestingDepth) {
      site.report(`Parallel/Map states are nested ${depth} deep; the limit is ${this.limits.maxNestingDepth}`);
      return null;
    }
    if (!top && raw.ProcessorConfig !== undefined) {
      const pc = raw.ProcessorConfig;
      if (!isObject(pc) || (pc.Mode !== undefined && pc.Mode !== 'INLINE' && pc.Mode !== 'DISTRIBUTED')) {
        site.at('ProcessorConfig').report(`ProcessorConfig must be an object whose Mode is "INLINE" or "DISTRIBUTED"`);
      }
    }
    const draft: ScopeDraft = {
      id,
      startAt: typeof raw.StartAt === 'string' ? raw.StartAt : null,
      startSite: site.at('StartAt'),
      states: byName(),
      sites: byName(),
      parent,
      owner,
      depth,
      assigned: new Map(),
    };
    this.drafts.set(id, draft);
    if (typeof raw.StartAt !== 'string') site.at('StartAt').report(`"StartAt" must name the first state`);
    if (!isObject(raw.States) || Object.keys(raw.States).length === 0) {
      site.at('States').report(`"States" must be an object holding at least one state`);
      return id;
    }
    for (const [name, stateRaw] of Object.entries(raw.States)) {
      const s = new Site(this.issues, site.at('States', name).path, name, null);
      if ([...name].length > 80) s.report(`state names must be at most 80 characters`);
      if (name.length === 0) s.report(`state names must not be empty`);
      const seen = this.names.get(name);
      if (seen !== undefined) {
        s.report(`the state name "${name}" is already used at ${seen}; names must be unique in the whole state machine`);
        continue;
      }
      this.names.set(name, s.path);
      const compiled = compileState(s, name, stateRaw, id, this.ql, {
        addScope: (childRaw, childSite, childId, kind, ownerName) =>
          this.addScope(childRaw, childSite, childId, id, ownerName, depth + 1, kind === 'branch' ? BRANCH_FIELDS : PROCESSOR_FIELDS),
        assigned: (varName, varSite) => {
          if (!draft.assigned.has(varName)) draft.assigned.set(varName, varSite);
        },
      });
      if (compiled !== null) {
        draft.states[name] = compiled;
        draft.sites[name] = s;
      }
    }
    if (draft.startAt !== null && isObject(raw.States) && !Object.hasOwn(raw.States, draft.startAt)) {
      draft.startSite.report(`StartAt names "${draft.startAt}", which is not a state of this States block`);
    }
    return id;
  }

  private checkTransitions(): void {
    for (const d of this.drafts.values()) {
      const target = (site: Site, name: string, field: string): void => {
        if (d.states[name] !== undefined || !this.names.has(name)) {
          if (!this.names.has(name)) site.at(field).report(`"${name}" is not a state name`);
          return;
        }
        site.at(field).report(`"${name}" is in another States block; states can only move within their own branch or processor`);
      };
      for (const [name, st] of Object.entries(d.states)) {
        const site = d.sites[name];
        if (st.next !== null) target(site, st.next, 'Next');
        if (st.default !== null) target(site, st.default, 'Default');
        st.choices.forEach((c, i) => target(site.at('Choices', i), c.next, 'Next'));
        st.catch.forEach((c, i) => target(site.at('Catch', i), c.next, 'Next'));
      }
      if (d.startAt === null || d.states[d.startAt] === undefined) continue;
      const reached = new Set<string>([d.startAt]);
      const queue = [d.startAt];
      while (queue.length > 0) {
        const st = d.states[queue.pop()!];
        if (st === undefined) continue;
        const next = [st.next, st.default, ...st.choices.map((c) => c.next), ...st.catch.map((c) => c.next)];
        for (const n of next) {
          if (n !== null && !reached.has(n)) {
            reached.add(n);
            queue.push(n);
          }
        }
      }
      for (const name of Object.keys(d.states)) {
        if (!reached.has(name)) d.sites[name].report(`the state "${name}" cannot be reached from "${d.startAt}"`);
      }
    }
  }

  private checkVariables(): void {
    for (const d of this.drafts.values()) {
      for (let p = d.parent; p !== null; p = this.drafts.get(p)?.parent ?? null) {
        const outer = this.drafts.get(p);
        if (outer === undefined) break;
        for (const [name, site] of d.assigned) {
          if (outer.assigned.has(name)) {
            site.report(`the variable "${name}" is assigned in an outer scope; inner scopes may read it but not assign it`);
          }
        }
      }
    }
  }
}

function invalid(issues: readonly ValidationIssue[]): NimbusError {
  const first = issues[0];
  const where = first.path === '' ? '' : `${first.path}: `;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem(s), listed in "errors")` : '';
  return new NimbusError(
    'NIMBUS_ERR_VALIDATION',
    `The state machine definition is invalid: ${where}${first.message}${more}. Fix the definition and deploy it again.`,
    { extra: { errors: issues.map((i) => ({ ...i })) } },
  );
}

export function parseStateMachine(source: string | object, options: ParseOptions = {}): StateMachine {
  const limits = resolveLimits(options.limits);
  const loaded = loadDefinition(source);
  if (!loaded.ok) throw invalid([{ path: '', state: null, field: null, message: loaded.message }]);
  if (loaded.bytes > limits.maxDefinitionBytes) {
    throw invalid([{ path: '', state: null, field: null, message: `the definition has ${loaded.bytes} bytes; the limit is ${limits.maxDefinitionBytes}` }]);
  }
  const builder = new MachineBuilder(limits);
  const built = builder.build(loaded.value);
  if (built === null) throw invalid(builder.issues);
  return Object.freeze({ ...built, definition: deepFreeze(loaded.value as JsonObject), limits });
}
