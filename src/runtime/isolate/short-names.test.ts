/**
 * Shortened local names: shorter source, and every name user code can read the same as
 * before, in a snippet and across everything the shim and the whole Node layers (the
 * others are parts of them) make reachable from an isolate's global.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runInNewContext } from 'node:vm';
import ivm from 'isolated-vm';
import { bundleSharedLayer } from '../../deploy/node-layer-shared.ts';
import { bundleShim } from './shim-source.ts';
import { shortenLocalNames } from './short-names.ts';

/** Every function reachable from the global (own properties, accessors and prototypes, to a depth), with its name and length. */
const NAMES_PROBE = `(() => {
  const seen = new Set();
  const lines = [];
  const walk = (v, path, depth) => {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function') || seen.has(v) || depth > 5) return;
    seen.add(v);
    if (typeof v === 'function') lines.push(path + ' ' + JSON.stringify(v.name) + ' ' + v.length);
    for (const key of Reflect.ownKeys(v)) {
      if (key === 'caller' || key === 'arguments') continue;
      const d = Object.getOwnPropertyDescriptor(v, key);
      for (const [kind, x] of [['', d.value], ['get ', d.get], ['set ', d.set]]) if (x !== undefined) walk(x, path + '.' + kind + String(key), depth + 1);
    }
    walk(Object.getPrototypeOf(v), path + '.__proto__', depth + 1);
  };
  walk(globalThis, 'globalThis', 0);
  return lines.sort().join('\\n');
})()`;

const SNIPPET = `(() => {
  class Base { method(argument) { return argument; } }
  var Derived = class extends Base {};
  var Plain = class { constructor(first, second) { this.sum = first + second; } };
  var Named = class Inner {};
  const arrow = (value) => value;
  function declared(longParameterName) { const localVariable = longParameterName; return localVariable; }
  let expression = function () {};
  let assigned;
  assigned = function () {};
  let orAssigned = null;
  orAssigned ??= () => 1;
  let LaterClass;
  LaterClass = class {};
  function withDefault(callbackName = () => 1) { return callbackName; }
  return { Base, Derived, Plain, Named, arrow, declared, expression, assigned, orAssigned, LaterClass, fromDefault: withDefault() };
})()`;

function namesOf(script: string): Record<string, string> {
  const made = runInNewContext(script) as Record<string, { name: string }>;
  return Object.fromEntries(Object.entries(made).map(([k, v]) => [k, v.name]));
}

function namesInIsolate(shim: string, layer: string): string {
  const isolate = new ivm.Isolate({ memoryLimit: 128 });
  try {
    const context = isolate.createContextSync();
    isolate.compileScriptSync(shim).runSync(context, { release: true });
    isolate.compileScriptSync(layer).runSync(context, { release: true });
    return context.evalSync(NAMES_PROBE) as string;
  } finally {
    isolate.dispose();
  }
}

describe('shortened local names', () => {
  it('shortens parameters and locals but keeps the names of functions, classes and the variables anonymous ones take theirs from (declared, assigned, defaults)', async () => {
    const short = await shortenLocalNames(SNIPPET);
    assert.ok(short.length < SNIPPET.length * 0.8, short);
    assert.ok(!short.includes('longParameterName') && !short.includes('localVariable'), short);
    assert.deepEqual(namesOf(short), namesOf(SNIPPET));
    assert.deepEqual(namesOf(short), {
      Base: 'Base', Derived: 'Derived', Plain: 'Plain', Named: 'Inner', arrow: 'arrow', declared: 'declared', expression: 'expression',
      assigned: 'assigned', orAssigned: 'orAssigned', LaterClass: 'LaterClass', fromDefault: 'callbackName',
    });
  });

  it('refuses a script with a character outside ASCII left in it (a tagged template keeps its raw text), instead of garbling it', async () => {
    await assert.rejects(shortenLocalNames('const s = String.raw`caf\u00e9`;'), /outside ASCII \(U\+00e9\).*escape/);
    assert.equal(await shortenLocalNames('const s = "caf\\u00e9";'), 'const s="caf\\xe9";');
  });

  for (const kind of ['node', 'node-async'] as const) {
    it(`leaves every function the shim and the whole ${kind} layer make reachable with the name and length it had`, async () => {
      const [shim, layer, shimShort, layerShort] = await Promise.all([
        bundleShim({ shortNames: false }),
        bundleSharedLayer(kind, { shortNames: false }),
        bundleShim(),
        bundleSharedLayer(kind),
      ]);
      assert.ok(shimShort.length < shim.length && layerShort.length < layer.length);
      const before = namesInIsolate(shim, layer);
      assert.ok(before.split('\n').length > 1000, 'the probe reaches the layer and the Web globals');
      assert.equal(namesInIsolate(shimShort, layerShort), before);
    });
  }
});
