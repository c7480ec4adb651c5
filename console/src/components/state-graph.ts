/**
 * A state machine (ASL) as a graph: its top-level states as nodes, transitions (Next,
 * Default, Choices, Catch) as edges, laid out in layers by distance from StartAt; and
 * each state's status in one execution, read from its history events. Pure functions.
 */

export type StateStatus = 'not-run' | 'running' | 'succeeded' | 'failed' | 'caught';

export interface GraphNode {
  readonly name: string;
  readonly type: string;
  readonly layer: number;
  readonly x: number;
  readonly y: number;
  readonly end: boolean;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: 'next' | 'choice' | 'default' | 'catch';
}

export interface Layout {
  readonly nodes: GraphNode[];
  readonly edges: GraphEdge[];
  readonly width: number;
  readonly height: number;
}

export const NODE_W = 168;
export const NODE_H = 38;
const GAP_X = 28;
const GAP_Y = 58;
const MARGIN = 24;

interface StateDef {
  Type?: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: Array<{ Next?: string }>;
  Catch?: Array<{ Next?: string }>;
}

export function edgesOf(states: Record<string, StateDef>): GraphEdge[] {
  const out: GraphEdge[] = [];
  for (const [name, s] of Object.entries(states)) {
    if (s.Next) out.push({ from: name, to: s.Next, kind: 'next' });
    for (const c of s.Choices ?? []) if (c.Next) out.push({ from: name, to: c.Next, kind: 'choice' });
    if (s.Default) out.push({ from: name, to: s.Default, kind: 'default' });
    for (const c of s.Catch ?? []) if (c.Next) out.push({ from: name, to: c.Next, kind: 'catch' });
  }
  return out.filter((e) => e.to in states);
}

export function layout(definition: { StartAt?: string; States?: Record<string, StateDef> }): Layout {
  const states = definition.States ?? {};
  const edges = edgesOf(states);
  const layerOf = new Map<string, number>();
  const queue: string[] = [];
  if (definition.StartAt && definition.StartAt in states) {
    layerOf.set(definition.StartAt, 0);
    queue.push(definition.StartAt);
  }
  while (queue.length > 0) {
    const at = queue.shift()!;
    for (const e of edges) {
      if (e.from !== at || layerOf.has(e.to)) continue;
      layerOf.set(e.to, layerOf.get(at)! + 1);
      queue.push(e.to);
    }
  }
  // States nothing reaches go below the rest.
  const deepest = Math.max(-1, ...layerOf.values());
  for (const name of Object.keys(states)) if (!layerOf.has(name)) layerOf.set(name, deepest + 1);
  const layers: string[][] = [];
  for (const name of Object.keys(states)) (layers[layerOf.get(name)!] ??= []).push(name);
  const widest = Math.max(1, ...layers.map((l) => l?.length ?? 0));
  const width = MARGIN * 2 + widest * NODE_W + (widest - 1) * GAP_X;
  const nodes: GraphNode[] = [];
  layers.forEach((names, layer) => {
    if (!names) return;
    const rowWidth = names.length * NODE_W + (names.length - 1) * GAP_X;
    const left = (width - rowWidth) / 2;
    names.forEach((name, i) => {
      const s = states[name];
      nodes.push({
        name,
        type: s.Type ?? '?',
        layer,
        x: left + i * (NODE_W + GAP_X),
        y: MARGIN + 18 + layer * (NODE_H + GAP_Y),
        end: s.End === true || s.Type === 'Succeed' || s.Type === 'Fail',
      });
    });
  });
  const height = MARGIN * 2 + 18 + layers.length * (NODE_H + GAP_Y) - GAP_Y;
  return { nodes, edges, width, height };
}

export interface HistoryEvent {
  id: number;
  type: string;
  timestamp: string;
  statePath?: string;
  [k: string]: unknown;
}

/** The top-level state a history event belongs to (`Fan/2/Validate#1` → `Fan`). */
export function topState(statePath: string | undefined): string | null {
  if (!statePath) return null;
  return statePath.split('/')[0].replace(/#\d+$/, '');
}

/**
 * Each top-level state's status in an execution: entered and not left is running, left is
 * succeeded, a failure its state caught is caught, one it did not is failed. States still
 * running when the execution ended without success are failed.
 */
export function statuses(events: readonly HistoryEvent[], executionStatus: string): Map<string, StateStatus> {
  const out = new Map<string, StateStatus>();
  const sorted = [...events].sort((a, b) => a.id - b.id);
  for (const e of sorted) {
    const state = topState(e.statePath);
    if (state === null) continue;
    const depth = (e.statePath ?? '').split('/').length;
    if (/StateEntered$/.test(e.type)) {
      if (depth === 1 || !out.has(state)) out.set(state, 'running');
    } else if (/StateExited$/.test(e.type)) {
      if (depth === 1) out.set(state, out.get(state) === 'failed' ? 'caught' : 'succeeded');
    } else if (/(Failed|TimedOut|Aborted)$/.test(e.type)) {
      out.set(state, 'failed');
    }
  }
  if (executionStatus !== 'RUNNING' && executionStatus !== 'SUCCEEDED') {
    for (const [k, v] of out) if (v === 'running') out.set(k, 'failed');
  }
  if (executionStatus === 'SUCCEEDED') {
    for (const [k, v] of out) if (v === 'running') out.set(k, 'succeeded');
  }
  return out;
}
