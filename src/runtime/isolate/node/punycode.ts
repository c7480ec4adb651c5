/** `punycode`: the npm `punycode` package (the one Node itself bundled). */
import punycode from 'punycode';
// from the package's default export, which has ucs2 and version too (its named exports do not)
export const { decode, encode, toASCII, toUnicode, ucs2, version } = punycode as unknown as typeof import('node:punycode');
export default { decode, encode, toASCII, toUnicode, ucs2, version };
