import JSZip from 'jszip';
import { hex } from './fixtures.ts';

export default async function probe() {
  const date = new Date(Date.UTC(2024, 1, 29, 12, 0, 0));
  const zip = new JSZip();
  zip.file('hello.txt', 'Hello ' + 'world '.repeat(20), { date });
  zip.folder('data')!.file('n.json', JSON.stringify({ n: 1 }), { date });
  const bytes = await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' });
  const back = await JSZip.loadAsync(bytes);
  return {
    size: bytes.length,
    head: hex(bytes.subarray(0, 8)),
    names: Object.keys(back.files),
    text: await back.file('hello.txt')!.async('string'),
    json: JSON.parse(await back.file('data/n.json')!.async('string')),
    base64: (await zip.generateAsync({ type: 'base64', compression: 'STORE' })).length,
  };
}
