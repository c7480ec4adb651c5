import { zipSync, unzipSync, gzipSync, gunzipSync, strToU8, strFromU8, deflateSync, inflateSync } from 'fflate';
import { hex } from './fixtures.ts';

export default function probe() {
  const mtime = new Date(Date.UTC(2024, 1, 29, 12, 0, 0));
  const zip = zipSync({ 'a.txt': strToU8('hello '.repeat(20)), 'dir/b.json': [strToU8('{"x":1}'), { level: 0 }] }, { mtime });
  const files = unzipSync(zip);
  const gz = gzipSync(strToU8('nimbus'.repeat(10)), { mtime, level: 6 });
  return {
    zip: hex(zip),
    files: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strFromU8(v)])),
    gz: hex(gz),
    gunzip: strFromU8(gunzipSync(gz)),
    deflate: hex(deflateSync(strToU8('aaaaabbbbb'))),
    inflate: strFromU8(inflateSync(deflateSync(strToU8('round trip')))),
  };
}
