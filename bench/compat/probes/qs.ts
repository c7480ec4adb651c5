import qs from 'qs';

export default function probe() {
  return {
    parsed: qs.parse('a[b][c]=1&list[]=x&list[]=y&arr[1]=z&enc=%E2%9C%93&flag'),
    dotted: qs.parse('a.b=1&a.c=2', { allowDots: true }),
    stringified: qs.stringify({ a: { b: [1, 2], c: 'x y' }, d: null, e: true }, { encodeValuesOnly: true }),
    brackets: qs.stringify({ a: ['b', 'c'] }, { arrayFormat: 'brackets' }),
    depthLimited: qs.parse('a[b][c][d][e][f][g]=1', { depth: 2 }),
  };
}
