/** Bound by esbuild's `inject` to code that refers to the global `Buffer`. */
export { Buffer } from './buffer.ts';
