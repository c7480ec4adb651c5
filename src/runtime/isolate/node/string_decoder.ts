/** `string_decoder`: the npm `string_decoder` package (Node's, ported). */
import sd from 'string_decoder';
export const StringDecoder = sd.StringDecoder;
export default { StringDecoder };
