import { produce, enablePatches, produceWithPatches, applyPatches, freeze, isDraft } from 'immer';

enablePatches();

export default function probe() {
  const base = { todos: [{ id: 1, done: false }, { id: 2, done: false }], meta: { n: 2 } };
  const next = produce(base, (d) => {
    d.todos[0].done = true;
    d.todos.push({ id: 3, done: false });
    d.meta.n = 3;
  });
  const [state, patches, inverse] = produceWithPatches({ a: 1, list: ['x'] }, (d) => {
    d.a = 2;
    d.list.push('y');
  });
  let frozenError = false;
  try {
    (next.meta as { n: number }).n = 9;
  } catch {
    frozenError = true;
  }
  return {
    next,
    sharedUntouched: next.todos[1] === base.todos[1],
    baseUnchanged: base.todos[0].done,
    frozen: Object.isFrozen(next),
    frozenError,
    state,
    patches,
    inverse,
    undone: applyPatches(state, inverse),
    isDraft: isDraft(freeze({})),
  };
}
