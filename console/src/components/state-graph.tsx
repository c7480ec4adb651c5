/** The state machine drawn as SVG, each state coloured by its status in an execution (or plain for a definition). */
import { layout, NODE_H, NODE_W, type GraphNode, type StateStatus } from './state-graph.ts';

const LABEL: Record<StateStatus, string> = { 'not-run': 'not run', running: 'running', succeeded: 'succeeded', failed: 'failed', caught: 'failed, caught' };

export function StateGraph({
  definition,
  status,
  selected,
  onSelect,
}: {
  definition: { StartAt?: string; States?: Record<string, unknown> };
  status?: Map<string, StateStatus>;
  selected?: string | null;
  onSelect?: (state: string | null) => void;
}) {
  const g = layout(definition as Parameters<typeof layout>[0]);
  const at = new Map(g.nodes.map((n) => [n.name, n]));
  const start = definition.StartAt ? at.get(definition.StartAt) : undefined;
  const stateOf = (n: GraphNode): StateStatus => status?.get(n.name) ?? 'not-run';
  const described = g.nodes.map((n) => `${n.name} (${n.type})${status ? `: ${LABEL[stateOf(n)]}` : ''}`).join('; ');
  return (
    <div class="graph-wrap">
      <svg class="graph" id="state-graph" width={g.width} height={g.height} viewBox={`0 0 ${g.width} ${g.height}`} role="group" aria-label={`State machine: ${described}`}>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" class="arrow-head" />
          </marker>
        </defs>
        {start ? (
          <g>
            <circle class="start-dot" cx={start.x + NODE_W / 2} cy={start.y - 22} r={6} />
            <line class="edge" x1={start.x + NODE_W / 2} y1={start.y - 16} x2={start.x + NODE_W / 2} y2={start.y - 1} marker-end="url(#arrow)" />
          </g>
        ) : null}
        {g.edges.map((e, i) => {
          const a = at.get(e.from)!;
          const b = at.get(e.to)!;
          const x1 = a.x + NODE_W / 2;
          const y1 = a.y + NODE_H;
          const x2 = b.x + NODE_W / 2;
          const y2 = b.y;
          let d: string;
          if (b.layer > a.layer) d = `M${x1},${y1} C${x1},${y1 + 30} ${x2},${y2 - 30} ${x2},${y2 - 1}`;
          else if (b.layer === a.layer && a.name !== b.name) {
            // Sideways, to a neighbour in the same layer: edge to edge.
            const right = b.x > a.x;
            const y = a.y + NODE_H / 2;
            d = `M${right ? a.x + NODE_W : a.x},${y} L${right ? b.x - 1 : b.x + NODE_W + 1},${y}`;
          } else {
            // Back edge (or a state to itself): around the right of both nodes.
            const side = Math.max(a.x, b.x) + NODE_W + 14 + (i % 3) * 6;
            d = `M${a.x + NODE_W},${a.y + NODE_H / 2} C${side},${a.y + NODE_H / 2} ${side},${b.y + NODE_H / 2} ${b.x + NODE_W + 1},${b.y + NODE_H / 2}`;
          }
          return <path key={i} class={`edge edge-${e.kind}`} d={d} marker-end="url(#arrow)" />;
        })}
        {g.nodes.map((n) => {
          const st = stateOf(n);
          const label = `${n.name}, ${n.type}${status ? `, ${LABEL[st]}` : ''}`;
          return (
            <g
              key={n.name}
              class={`node st-${st}${selected === n.name ? ' selected' : ''}`}
              data-state={n.name}
              data-status={st}
              tabindex={onSelect ? 0 : -1}
              role={onSelect ? 'button' : undefined}
              aria-label={label}
              aria-pressed={onSelect ? selected === n.name : undefined}
              onClick={() => onSelect?.(selected === n.name ? null : n.name)}
              onKeyDown={(e) => {
                if (onSelect && (e.key === 'Enter' || e.key === ' ')) {
                  e.preventDefault();
                  onSelect(selected === n.name ? null : n.name);
                }
              }}
            >
              <title>{label}</title>
              <rect x={n.x} y={n.y} width={NODE_W} height={NODE_H} rx={n.type === 'Choice' ? 18 : 6} class={n.end ? 'end' : undefined} />
              <text x={n.x + NODE_W / 2} y={n.y + 16} text-anchor="middle" class="node-name">
                {n.name.length > 22 ? n.name.slice(0, 21) + '…' : n.name}
              </text>
              <text x={n.x + NODE_W / 2} y={n.y + 30} text-anchor="middle" class="node-type">
                {n.type}
                {status ? ` · ${LABEL[st]}` : null}
              </text>
            </g>
          );
        })}
      </svg>
      {status ? (
        <ul class="legend" aria-hidden="true">
          {(Object.keys(LABEL) as StateStatus[]).map((k) => (
            <li key={k}>
              <span class={`swatch st-${k}`} />
              {LABEL[k]}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
