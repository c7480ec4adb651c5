/** Bound by esbuild's `inject` to code that refers to the global `process`. */
export { process } from './process.ts';
