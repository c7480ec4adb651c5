import { LRUCache } from 'lru-cache';

export default function probe() {
  const cache = new LRUCache<string, number>({ max: 3 });
  const evicted: string[] = [];
  const withDispose = new LRUCache<string, number>({ max: 2, dispose: (_v, k) => evicted.push(k) });
  for (const k of ['a', 'b', 'c']) cache.set(k, k.charCodeAt(0));
  cache.get('a');
  cache.set('d', 100);
  for (const k of ['x', 'y', 'z']) withDispose.set(k, 1);
  const sized = new LRUCache<string, string>({ maxSize: 10, sizeCalculation: (v) => v.length });
  sized.set('k1', '12345');
  sized.set('k2', '123456');
  return { keys: [...cache.keys()], hasB: cache.has('b'), size: cache.size, evicted, sizedKeys: [...sized.keys()], dump: cache.dump().map(([k, e]) => [k, e.value]) };
}
