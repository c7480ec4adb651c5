// The console's state-machine graph: layout and each state's status from a history (pure code of console/src).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { edgesOf, layout, statuses, topState, type HistoryEvent } from '../../console/src/components/state-graph.ts';

const DEF = {
  StartAt: 'A',
  States: {
    A: { Type: 'Task', Next: 'Pick', Catch: [{ Next: 'Oops' }] },
    Pick: { Type: 'Choice', Choices: [{ Next: 'A' }], Default: 'Done' },
    Oops: { Type: 'Fail' },
    Done: { Type: 'Succeed' },
    Orphan: { Type: 'Pass', End: true },
  },
};

it('lays states out in layers by distance from StartAt, unreachable ones last', () => {
  const g = layout(DEF);
  const layer = Object.fromEntries(g.nodes.map((n) => [n.name, n.layer]));
  assert.deepEqual(layer, { A: 0, Pick: 1, Oops: 1, Done: 2, Orphan: 3 });
  assert.deepEqual(
    edgesOf(DEF.States).map((e) => `${e.from}>${e.to}:${e.kind}`),
    ['A>Pick:next', 'A>Oops:catch', 'Pick>A:choice', 'Pick>Done:default'],
  );
  // Nodes of one layer do not overlap.
  const [p, o] = [g.nodes.find((n) => n.name === 'Pick')!, g.nodes.find((n) => n.name === 'Oops')!];
  assert.ok(Math.abs(p.x - o.x) >= 168);
});

const ev = (id: number, type: string, statePath?: string): HistoryEvent => ({ id, type, timestamp: '', ...(statePath ? { statePath } : {}) });

it("reads each top-level state's status from the history", () => {
  assert.equal(topState('Fan/2/Validate#1'), 'Fan');
  assert.equal(topState('A#3'), 'A');
  const caught = [ev(1, 'ExecutionStarted'), ev(2, 'TaskStateEntered', 'A#1'), ev(3, 'TaskFailed', 'A#1'), ev(4, 'TaskStateExited', 'A#1'), ev(5, 'FailStateEntered', 'Oops#1')];
  assert.deepEqual([...statuses(caught, 'FAILED')], [['A', 'caught'], ['Oops', 'failed']]);
  const running = [ev(1, 'TaskStateEntered', 'A#1')];
  assert.deepEqual([...statuses(running, 'RUNNING')], [['A', 'running']]);
  // A loop back into A: its latest visit decides.
  const loop = [ev(1, 'TaskStateEntered', 'A#1'), ev(2, 'TaskStateExited', 'A#1'), ev(3, 'ChoiceStateEntered', 'Pick#1'), ev(4, 'ChoiceStateExited', 'Pick#1'), ev(5, 'TaskStateEntered', 'A#2')];
  assert.equal(statuses(loop, 'RUNNING').get('A'), 'running');
  assert.equal(statuses(loop, 'ABORTED').get('A'), 'failed');
  // A nested state's events mark its parent, without finishing it.
  const nested = [ev(1, 'ParallelStateEntered', 'Fan#1'), ev(2, 'TaskStateEntered', 'Fan#1/0/B#1'), ev(3, 'TaskStateExited', 'Fan#1/0/B#1')];
  assert.equal(statuses(nested, 'RUNNING').get('Fan'), 'running');
});
