import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FunctionVersion } from '../core/types.ts';
import { bundleSource } from '../deploy/bundle.ts';
import { mappedFrames, MAX_MAP_BYTES, sourceMapLookup, SourceStacks, type PositionLookup } from './source-stacks.ts';

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

test('mappedFrames rewrites the frames of the bundle it knows, and leaves the rest (and the message) as they are', () => {
  const lookup: PositionLookup = (line, column) => (line === 26 ? { file: 'src/order.ts', line: 4, column: column - 10 } : null);
  const stack = [
    'RangeError: total at orders.v2.js:26:27 is negative',
    '    at check (orders.v2.js:26:27)',
    '    at Object.fetch (orders.v2.js:31:9)',
    '    at ordersXv2.js:26:27',
    '    at async other.js:26:1',
    '    at data-orders.v2.js:26:27',
    '    at orders.v2.js:26:30',
  ].join('\n');
  assert.deepEqual(mappedFrames(stack, 'orders.v2.js', lookup), [
    '    at check (src/order.ts:4:17)',
    '    at Object.fetch (orders.v2.js:31:9)',
    '    at ordersXv2.js:26:27',
    '    at async other.js:26:1',
    '    at data-orders.v2.js:26:27',
    '    at src/order.ts:4:20',
  ], "the header is not a frame; an unknown position stays; a dot in the name is no wildcard; another file's frames stay");
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

function version(functionName: string, n: number): FunctionVersion {
  return { functionName, version: n } as FunctionVersion;
}

test('SourceStacks reads a version\'s map once (errors arriving together share it), keeps a byte budget, and retries after a store failure', async () => {
  const built = await bundleSource({ 'index.ts': SOURCE }, 'index.ts');
  const map = built.sourceMap as string;
  const at = positionOf(built.code, 'new RangeError');
  const stack = `RangeError: order a has a negative total\n    at check (orders.js:${at.line}:${at.column})`;
  const reads: string[] = [];
  let failNext = false;
  const stacks = new SourceStacks(
    {
      getSourceMap: async (name, n) => {
        reads.push(`${name}@${n}`);
        if (failNext) {
          failNext = false;
          throw new Error('store busy');
        }
        if (n === 9) return 'x'.repeat(MAX_MAP_BYTES + 1);
        return n === 0 ? null : map;
      },
    },
    map.length * 2, // room for two maps
  );
  const mapped = ['    at check (index.ts:4:26)'];
  const together = await Promise.all([1, 2, 3].map(() => stacks.frames(version('orders', 1), stack)));
  assert.deepEqual(together, [mapped, mapped, mapped]);
  assert.deepEqual(reads, ['orders@1'], 'one read for errors arriving together');
  const unmapped = [`    at check (orders.js:${at.line}:${at.column})`];
  assert.deepEqual(await stacks.frames(version('orders', 0), stack), unmapped, 'deployed without a map: bundle positions');
  assert.deepEqual(await stacks.frames(version('orders', 9), stack), unmapped, 'a map over the size limit is not parsed');
  await stacks.frames(version('orders', 2), stack);
  await stacks.frames(version('orders', 3), stack); // over the budget: the least recently used map goes
  reads.length = 0;
  await stacks.frames(version('orders', 3), stack);
  await stacks.frames(version('orders', 1), stack);
  assert.deepEqual(reads, ['orders@1'], 'version 1 was dropped, version 3 kept');
  failNext = true;
  assert.deepEqual(await stacks.frames(version('orders', 4), stack), unmapped, 'the store failed: shown unmapped');
  assert.deepEqual(await stacks.frames(version('orders', 4), stack), mapped, 'and asked again next time');
  assert.deepEqual(await stacks.frames(version('other', 1), stack), unmapped, "another function's file name is not this one's");
});
