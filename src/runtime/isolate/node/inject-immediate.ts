/** Bound by esbuild's `inject` to code that refers to the globals `setImmediate`/`clearImmediate`. */
export { setImmediate, clearImmediate } from './timers.ts';
