/** `stream`: the npm `readable-stream` package (Node's streams, ported); the default export is `Stream` with the classes on it, as in Node. */
// require(), not import: esbuild would wrap the CommonJS module in an ES namespace copy with a getter per property
// eslint-disable-next-line @typescript-eslint/no-require-imports
const rs = require('readable-stream') as typeof import('readable-stream');

export const { Readable, Writable, Duplex, Transform, PassThrough, pipeline, finished, addAbortSignal, compose, destroy, isDisturbed, isErrored, isReadable, promises } = rs;
export const Stream = rs.Stream;
export function getDefaultHighWaterMark(objectMode: boolean): number {
  return objectMode ? 16 : 16 * 1024;
}
const extras: Record<string, unknown> = { Readable, Writable, Duplex, Transform, PassThrough, pipeline, finished, addAbortSignal, compose, destroy, isDisturbed, isErrored, isReadable, Stream, getDefaultHighWaterMark };
for (const [name, value] of Object.entries(extras)) if (!(name in Stream)) Object.defineProperty(Stream, name, { value, writable: true, configurable: true });
export default Stream;
