/** `path` (and `path/posix`): the npm `path-browserify` package, Node's POSIX path functions. Functions see a POSIX file system. */
import path from 'path-browserify';
export const { resolve, normalize, isAbsolute, join, relative, dirname, basename, extname, format, parse, sep, delimiter } = path;
export const toNamespacedPath = (p: string): string => p;
export const posix = path;
Object.assign(path, { posix: path, toNamespacedPath });
export default path;
