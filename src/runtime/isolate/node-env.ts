/**
 * The host side of the Node layer's `process.env`: a bundle that uses the layer ends with
 * NODE_LAYER_MARK (the bundler adds it), and only then is the function's env handed to the
 * isolate before its top level runs, as `__nimbus_node_env` (process.ts takes and deletes it).
 * The same bundles get `__nimbus_node_host`, the synchronous call behind the layer's
 * `crypto` and `zlib` (node-host.ts; the layer's host.ts takes and deletes it).
 * Other bundles pay nothing.
 */
import ivm from 'isolated-vm';
import { nodeHostCall } from './node-host.ts';

export const NODE_LAYER_MARK = '\n//# nimbus-node-layer\n';
const ENV_GLOBAL = '__nimbus_node_env';
const HOST_GLOBAL = '__nimbus_node_host';
const hostCallback = new ivm.Callback(nodeHostCall);

export function usesNodeLayer(code: string): boolean {
  return code.endsWith(NODE_LAYER_MARK);
}

export function giveNodeEnv(context: ivm.Context, code: string, env: Readonly<Record<string, string>>): void {
  if (!usesNodeLayer(code)) return;
  context.evalClosureSync(
    `for (const [k, v] of [['${ENV_GLOBAL}', $0], ['${HOST_GLOBAL}', $1]]) Object.defineProperty(globalThis, k, { value: v, configurable: true, writable: true, enumerable: false });`,
    [{ ...env }, hostCallback],
    { arguments: { copy: true } },
  );
}
