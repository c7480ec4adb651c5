/**
 * The validated, compiled form of a state machine. Built once by parseStateMachine
 * (paths compiled, JSONata parsed, resources resolved) and shared by every execution.
 * It holds compiled functions, so it is not JSON: a host persists `definition` and parses
 * it again after a restart.
 */
import type { JsonataNode } from './jsonata/expr.ts';
import type { CompiledPath, Segment } from './jsonpath/path.ts';
import type { TemplateNode } from './jsonpath/template.ts';
import type { AslLimits } from './limits.ts';
import type { ResourceSpec } from './resources.ts';
import type { Json, JsonObject, QueryLanguage } from './types.ts';

export type StateType = 'Pass' | 'Task' | 'Choice' | 'Wait' | 'Succeed' | 'Fail' | 'Parallel' | 'Map';

/** A field that is a literal, a JSONPath path/intrinsic, or a JSONata expression. */
export type Dyn =
  | { readonly k: 'lit'; readonly v: Json }
  | { readonly k: 'tmpl'; readonly node: TemplateNode; readonly field: string }
  | { readonly k: 'jsonata'; readonly node: JsonataNode; readonly field: string };

/** InputPath / OutputPath: absent means `$`; null discards (yields {}). */
export type IoPath = { readonly k: 'all' } | { readonly k: 'discard' } | { readonly k: 'path'; readonly path: CompiledPath };

/** ResultPath: absent means `$` (replace); null keeps the raw input. */
export type ResultPathSpec =
  | { readonly k: 'discard' }
  | { readonly k: 'path'; readonly source: string; readonly segments: readonly Segment[] };

export type AssignSpec =
  | { readonly ql: 'JSONPath'; readonly node: TemplateNode }
  | { readonly ql: 'JSONata'; readonly node: JsonataNode };

/** Payload-producing field in whichever language the state uses. */
export type Payload =
  | { readonly ql: 'JSONPath'; readonly node: TemplateNode }
  | { readonly ql: 'JSONata'; readonly node: JsonataNode };

export interface Retrier {
  readonly errorEquals: readonly string[];
  readonly intervalSeconds: number;
  readonly maxAttempts: number;
  readonly backoffRate: number;
  readonly maxDelaySeconds: number | null;
  readonly jitter: 'FULL' | 'NONE';
}

export interface Catcher {
  readonly errorEquals: readonly string[];
  readonly next: string;
  /** JSONPath catchers: where the Error Output goes (default `$`). */
  readonly resultPath: ResultPathSpec;
  /** JSONata catchers: the state output (default: the Error Output). */
  readonly output: JsonataNode | null;
  readonly assign: AssignSpec | null;
}

export type ChoiceRule =
  | { readonly k: 'and'; readonly rules: readonly ChoiceRule[] }
  | { readonly k: 'or'; readonly rules: readonly ChoiceRule[] }
  | { readonly k: 'not'; readonly rule: ChoiceRule }
  | {
      readonly k: 'test';
      readonly variable: CompiledPath;
      readonly op: string;
      /** Literal operand, or the compiled path for the *Path operators. */
      readonly operand: Json;
      readonly operandPath: CompiledPath | null;
    };

export interface TopChoice {
  /** JSONPath rule, or null for JSONata. */
  readonly rule: ChoiceRule | null;
  /** JSONata Condition (literal boolean or expression). */
  readonly condition: Dyn | null;
  readonly next: string;
  readonly assign: AssignSpec | null;
  readonly output: JsonataNode | null;
}

export interface CompiledState {
  readonly name: string;
  readonly type: StateType;
  /** Id of the scope that holds the state ('' for the top level). */
  readonly scope: string;
  readonly ql: QueryLanguage;
  readonly next: string | null;
  readonly end: boolean;
  readonly inputPath: IoPath;
  readonly outputPath: IoPath;
  readonly resultPath: ResultPathSpec;
  /** Parameters (JSONPath) or Arguments (JSONata). */
  readonly parameters: Payload | null;
  readonly resultSelector: TemplateNode | null;
  /** Pass: the Result field, when present. */
  readonly result: { readonly v: Json } | null;
  /** JSONata Output. */
  readonly output: JsonataNode | null;
  readonly assign: AssignSpec | null;
  readonly retry: readonly Retrier[];
  readonly catch: readonly Catcher[];
  // Task
  readonly resource: ResourceSpec | null;
  readonly resourceText: string | null;
  readonly timeoutSeconds: Dyn | null;
  readonly heartbeatSeconds: Dyn | null;
  readonly credentials: Payload | null;
  // Choice
  readonly choices: readonly TopChoice[];
  readonly default: string | null;
  // Wait
  readonly waitSeconds: Dyn | null;
  readonly waitTimestamp: Dyn | null;
  // Fail
  readonly error: Dyn | null;
  readonly cause: Dyn | null;
  // Parallel
  readonly branches: readonly string[];
  // Map
  readonly processor: string | null;
  readonly itemsPath: CompiledPath | null;
  readonly items: Dyn | null;
  readonly itemSelector: Payload | null;
  readonly maxConcurrency: Dyn | null;
  readonly toleratedFailureCount: Dyn | null;
  readonly toleratedFailurePercentage: Dyn | null;
}

export interface Scope {
  readonly id: string;
  readonly startAt: string;
  readonly states: Readonly<Record<string, CompiledState>>;
  /** The scope around this one (null for the top level). */
  readonly parent: string | null;
  /** The Parallel/Map state whose branch or processor this is. */
  readonly owner: string | null;
  readonly depth: number;
  /** Variables assigned by states of this scope. */
  readonly variables: readonly string[];
}

export interface StateMachine {
  /** The definition as accepted (JSON), frozen; persist this, not the StateMachine. */
  readonly definition: JsonObject;
  readonly queryLanguage: QueryLanguage;
  readonly comment: string | null;
  readonly timeoutSeconds: number | null;
  readonly scopes: Readonly<Record<string, Scope>>;
  readonly limits: AslLimits;
  /** Every state by name (names are unique across the whole machine). */
  readonly states: Readonly<Record<string, CompiledState>>;
}
