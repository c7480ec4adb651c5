import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCodeCache } from './code-cache.ts';

class Data {
  released = false;
  constructor(readonly label: string) {}
  release() {
    assert.equal(this.released, false, `${this.label} released twice`);
    this.released = true;
  }
}

describe('code cache', () => {
  it('serves an entry only under the file name it was compiled under; same code under two names keeps two entries', () => {
    const cache = createCodeCache<Data>(8);
    const a = new Data('a');
    const b = new Data('b');
    cache.set('alpha.js', 'code', a);
    assert.equal(cache.get('beta.js', 'code'), undefined);
    cache.set('beta.js', 'code', b);
    assert.equal(cache.get('alpha.js', 'code'), a);
    assert.equal(cache.get('beta.js', 'code'), b);
    assert.equal(a.released || b.released, false);
  });

  it('replacing or deleting an entry releases its data', () => {
    const cache = createCodeCache<Data>(8);
    const first = new Data('first');
    const second = new Data('second');
    cache.set('f.js', 'code', first);
    cache.set('f.js', 'code', second);
    assert.ok(first.released);
    assert.equal(cache.get('f.js', 'code'), second);
    cache.delete('f.js', 'code');
    assert.ok(second.released);
    assert.equal(cache.get('f.js', 'code'), undefined);
  });

  it('drops the least recently used bundles first when over its size', () => {
    const cache = createCodeCache<Data>(2);
    const one = new Data('one');
    const two = new Data('two');
    const three = new Data('three');
    cache.set('1.js', 'one', one);
    cache.set('2.js', 'two', two);
    cache.get('1.js', 'one'); // now "two" is the least recently used
    cache.set('3.js', 'three', three);
    assert.ok(two.released);
    assert.equal(cache.get('2.js', 'two'), undefined);
    assert.equal(cache.get('1.js', 'one'), one);
    assert.equal(cache.get('3.js', 'three'), three);
    assert.equal(one.released || three.released, false);
  });
});
