import { deflate, inflate, gzip, ungzip, deflateRaw, inflateRaw } from 'pako';
import { hex } from './fixtures.ts';

export default function probe() {
  const input = new TextEncoder().encode('nimbus '.repeat(50));
  const z = deflate(input, { level: 9 });
  return {
    deflated: hex(z),
    inflated: new TextDecoder().decode(inflate(z)) === 'nimbus '.repeat(50),
    gzipLength: gzip(input).length,
    ungzipped: ungzip(gzip(input)).length,
    raw: hex(deflateRaw('abcabcabc')),
    rawBack: new TextDecoder().decode(inflateRaw(deflateRaw('abcabcabc'))),
  };
}
