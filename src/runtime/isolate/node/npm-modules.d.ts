/** Types for the npm packages the Node layer wraps that ship none. */
declare module 'readable-stream' {
  import type * as stream from 'node:stream';
  const rs: typeof stream & { Stream: typeof stream.Stream; promises: typeof import('node:stream/promises'); compose: unknown; destroy: unknown; isDisturbed: unknown; isErrored: unknown; isReadable: unknown };
  export = rs;
}
declare module 'path-browserify' {
  import type { PosixPath } from 'node:path';
  const path: PosixPath;
  export = path;
}
