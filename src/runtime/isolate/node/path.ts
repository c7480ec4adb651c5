/** `path` (and `path/posix`): the npm `path-browserify` package, Node's POSIX path functions. Functions see a POSIX file system. */
// require(), not import: esbuild would wrap the CommonJS module in an ES namespace copy with a getter per property
// eslint-disable-next-line @typescript-eslint/no-require-imports
const path = require('path-browserify') as typeof import('path-browserify');
export const { resolve, normalize, isAbsolute, join, relative, dirname, basename, extname, format, parse, sep, delimiter } = path;
export const toNamespacedPath = (p: string): string => p;
export const posix = path;
Object.assign(path, { posix: path, toNamespacedPath });
export default path;
