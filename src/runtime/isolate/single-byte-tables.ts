/**
 * The Encoding Standard's single-byte encodings as tables for the shim's TextDecoder:
 * for each encoding, the 128 code points of bytes 0x80–0xFF (U+FFFD where a byte maps to
 * nothing), written in ASCII as runs (`hex` or `hex+count`, comma-separated: an isolate's
 * shim source stays a one-byte string, half the memory of a two-byte one). Computed on the host with Node's TextDecoder (full ICU) when the shim is
 * bundled, and inlined into the bundle, so an isolate decodes by table lookup with no
 * host call. ICU lacks ISO-8859-16 and x-user-defined, and Node 20 decodes windows-1252
 * as ISO-8859-1: those three are written out here. Where ICU's tables differ from the
 * Encoding Standard's indexes (a few bytes ICU maps that the standard leaves unmapped, or
 * the reverse), the standard's value is set over ICU's.
 */

/** The single-byte encodings ICU decodes, by their Encoding Standard names. */
const FROM_ICU = [
  'ibm866', 'iso-8859-2', 'iso-8859-3', 'iso-8859-4', 'iso-8859-5', 'iso-8859-6', 'iso-8859-7', 'iso-8859-8',
  'iso-8859-8-i', 'iso-8859-10', 'iso-8859-13', 'iso-8859-14', 'iso-8859-15', 'koi8-r', 'koi8-u', 'macintosh',
  'windows-874', 'windows-1250', 'windows-1251', 'windows-1253', 'windows-1254', 'windows-1255',
  'windows-1256', 'windows-1257', 'windows-1258', 'x-mac-cyrillic',
] as const;

/** ISO-8859-16's bytes 0xA0–0xFF (0x80–0x9F are the C1 controls, mapped to themselves). */
const ISO_8859_16_HIGH =
  '\u00a0\u0104\u0105\u0141\u20ac\u201e\u0160\u00a7\u0161\u00a9\u0218\u00ab\u0179\u00ad\u017a\u017b' +
  '\u00b0\u00b1\u010c\u0142\u017d\u201d\u00b6\u00b7\u017e\u010d\u0219\u00bb\u0152\u0153\u0178\u017c' +
  '\u00c0\u00c1\u00c2\u0102\u00c4\u0106\u00c6\u00c7\u00c8\u00c9\u00ca\u00cb\u00cc\u00cd\u00ce\u00cf' +
  '\u0110\u0143\u00d2\u00d3\u00d4\u0150\u00d6\u015a\u0170\u00d9\u00da\u00db\u00dc\u0118\u021a\u00df' +
  '\u00e0\u00e1\u00e2\u0103\u00e4\u0107\u00e6\u00e7\u00e8\u00e9\u00ea\u00eb\u00ec\u00ed\u00ee\u00ef' +
  '\u0111\u0144\u00f2\u00f3\u00f4\u0151\u00f6\u015b\u0171\u00f9\u00fa\u00fb\u00fc\u0119\u021b\u00ff';

/** windows-1252's bytes 0x80–0x9F (0xA0–0xFF are ISO-8859-1's). */
const WINDOWS_1252_C1 =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/** Bytes whose code point in the Encoding Standard differs from ICU's. */
const CORRECTIONS: Record<string, Array<[number, number]>> = {
  'windows-874': [0xdb, 0xdc, 0xdd, 0xde, 0xfc, 0xfd, 0xfe, 0xff].map((b) => [b, 0xfffd]),
  'windows-1253': [[0xaa, 0xfffd]],
  'windows-1255': [[0xca, 0x05ba]],
};

/** A table as ASCII runs of consecutive code points: `a0+60,104,105` (hex). */
export function encodeRuns(table: string): string {
  const runs: string[] = [];
  for (let i = 0; i < table.length; ) {
    const start = table.charCodeAt(i);
    let n = 1;
    while (i + n < table.length && table.charCodeAt(i + n) === start + n) n++;
    runs.push(n === 1 ? start.toString(16) : `${start.toString(16)}+${n.toString(16)}`);
    i += n;
  }
  return runs.join(',');
}

/** Each single-byte encoding's bytes 0x80–0xFF as runs (`encodeRuns`), by encoding name. */
export function singleByteTables(): Record<string, string> {
  const tables = singleByteStrings();
  for (const name of Object.keys(tables)) tables[name] = encodeRuns(tables[name]);
  return tables;
}

function singleByteStrings(): Record<string, string> {
  const high = new Uint8Array(128);
  for (let i = 0; i < 128; i++) high[i] = 0x80 + i;
  const tables: Record<string, string> = {};
  for (const name of FROM_ICU) {
    const table = new TextDecoder(name).decode(high);
    if (table.length !== 128) throw new Error(`the host's ${name} decoder is not single-byte`);
    const codes = [...table].map((c) => c.charCodeAt(0));
    for (const [byte, code] of CORRECTIONS[name] ?? []) codes[byte - 0x80] = code;
    tables[name] = String.fromCharCode(...codes);
  }
  let c1 = '';
  for (let i = 0x80; i < 0xa0; i++) c1 += String.fromCharCode(i);
  tables['iso-8859-16'] = c1 + ISO_8859_16_HIGH;
  let latin1High = '';
  for (let i = 0xa0; i < 0x100; i++) latin1High += String.fromCharCode(i);
  tables['windows-1252'] = WINDOWS_1252_C1 + latin1High;
  let userDefined = '';
  for (let i = 0; i < 128; i++) userDefined += String.fromCharCode(0xf780 + i);
  tables['x-user-defined'] = userDefined;
  return tables;
}
