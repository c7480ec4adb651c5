/** `punycode`: the npm `punycode` package (the one Node itself bundled). */
import * as punycode from 'punycode';
export const { decode, encode, toASCII, toUnicode, ucs2, version } = punycode as unknown as typeof import('node:punycode');
export default { decode, encode, toASCII, toUnicode, ucs2, version };
