/** `string_decoder`: the npm `string_decoder` package (Node's, ported). */
// require(), not import: esbuild would wrap the CommonJS module in an ES namespace copy with a getter per property
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sd = require('string_decoder') as typeof import('string_decoder');
export const StringDecoder = sd.StringDecoder;
export default { StringDecoder };
