import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FunctionVersion } from '../core/types.ts';
import { bundleSource } from '../deploy/bundle.ts';
import { mapStack, sourceMapLookup, SourceStacks, type PositionLookup } from './source-stacks.ts';

const SOURCE = [
  'interface Order { id: string; total: number }', // 1
  '', // 2
  'function check(o: Order): number {', // 3
  '  if (o.total < 0) throw new RangeError(`order ${o.id} has a negative total`);', // 4
  '  return o.total;', // 5
  '}', // 6
  'export default { fetch: (r: Request) => Response.json(check({ id: "a", total: -1 })) };', // 7
].join('\n');

/** Where `needle` starts in the bundle, 1-based like a stack frame. */
function positionOf(code: string, needle: string): { line: number; column: number } {
  const lines = code.split('\n');
  const line = lines.findIndex((l) => l.includes(needle));
  assert.ok(line >= 0, `${needle} is in the bundle`);
  return { line: line + 1, column: lines[line].indexOf(needle) + 1 };
}

test('mapStack rewrites the frames of the bundle it knows, and leaves the rest as they are', () => {
  const lookup: PositionLookup = (line, column) => (line === 26 ? { file: 'src/order.ts', line: 4, column: column - 10 } : null);
  const stack = [
    'RangeError: order a has a negative total',
    '    at check (orders.v2.js:26:27)',
    '    at Object.fetch (orders.v2.js:31:9)',
    '    at ordersXv2.js:26:27',
    '    at async other.js:26:1',
  ].join('\n');
  assert.equal(
    mapStack(stack, 'orders.v2.js', lookup),
    [
      'RangeError: order a has a negative total',
      '    at check (src/order.ts:4:17)',
      '    at Object.fetch (orders.v2.js:31:9)',
      '    at ordersXv2.js:26:27',
      '    at async other.js:26:1',
    ].join('\n'),
    "an unknown position stays; a dot in the name is not a wildcard; other files' frames stay",
  );
});

test("esbuild's map leads a bundle position back to the source file, line and column", async () => {
  const built = await bundleSource({ 'src/order.ts': SOURCE }, 'src/order.ts');
  assert.ok(built.sourceMap !== null, 'the build makes a map');
  assert.doesNotMatch(built.code, /sourceMappingURL/, 'the code does not link to it (its hash stays that of the code alone)');
  assert.doesNotMatch(built.sourceMap, /sourcesContent/, 'no copy of the sources in it');
  const lookup = sourceMapLookup(built.sourceMap);
  assert.ok(lookup);
  const at = positionOf(built.code, 'new RangeError');
  assert.deepEqual(lookup(at.line, at.column), { file: 'src/order.ts', line: 4, column: 26 });
  const lines = built.code.split('\n').length;
  assert.equal(lookup(lines + 50, 1), null, 'a line the bundle does not have maps nowhere (not to the last mapping)');
  assert.equal(sourceMapLookup('{not json'), null);
  assert.equal(sourceMapLookup('{"version":3}'), null);
});

function version(codeHash: string, functionName = 'orders'): FunctionVersion {
  return { functionName, codeHash } as FunctionVersion;
}

test('SourceStacks reads a map at the first error of its code, keeps a few, and retries after a store failure', async () => {
  const built = await bundleSource({ 'index.ts': SOURCE }, 'index.ts');
  const at = positionOf(built.code, 'new RangeError');
  const stack = `RangeError: order a has a negative total\n    at check (orders.js:${at.line}:${at.column})`;
  const reads: string[] = [];
  let failNext = false;
  const stacks = new SourceStacks(
    {
      getSourceMap: async (hash) => {
        reads.push(hash);
        if (failNext) {
          failNext = false;
          throw new Error('store busy');
        }
        return hash === 'none' ? null : built.sourceMap;
      },
    },
    2,
  );
  const mapped = `RangeError: order a has a negative total\n    at check (index.ts:4:26)`;
  assert.equal(await stacks.render(version('c1'), stack), mapped);
  assert.equal(await stacks.render(version('c1'), stack), mapped);
  assert.deepEqual(reads, ['c1'], 'read once');
  assert.equal(await stacks.render(version('none'), stack), stack, 'code deployed without a map: bundle positions');
  assert.equal(await stacks.render(version('none'), stack), stack);
  assert.deepEqual(reads, ['c1', 'none'], 'a missing map is remembered too');
  await stacks.render(version('c3'), stack); // over the two kept: c1 (least recently used) goes
  await stacks.render(version('c1'), stack);
  assert.deepEqual(reads, ['c1', 'none', 'c3', 'c1']);
  failNext = true;
  assert.equal(await stacks.render(version('c4'), stack), stack, 'the store failed: shown unmapped');
  assert.equal(await stacks.render(version('c4'), stack), mapped, 'and asked again next time');
  assert.equal(await stacks.render(version('c4', 'other'), stack), stack, "another function's file name is not this one's");
});
