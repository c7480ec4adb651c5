import iconv from 'iconv-lite';
import { hex } from './fixtures.ts';

export default function probe() {
  const text = 'Привет, ÄÖÜ €';
  return {
    win1251: hex(iconv.encode('Привет', 'win1251')),
    latin1: hex(iconv.encode('ÄÖÜ', 'latin1')),
    sjis: hex(iconv.encode('日本語', 'shift_jis')),
    utf16: hex(iconv.encode('hi', 'utf16le')),
    back: iconv.decode(iconv.encode(text, 'utf8'), 'utf8'),
    gbk: iconv.decode(iconv.encode('中文', 'gbk'), 'gbk'),
    exists: [iconv.encodingExists('cp1252'), iconv.encodingExists('nope')],
    bom: hex(iconv.encode('x', 'utf8', { addBOM: true })),
  };
}
