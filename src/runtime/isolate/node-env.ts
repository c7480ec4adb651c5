/**
 * The host side of the Node layer's `process.env`: a bundle that uses the layer ends with
 * NODE_LAYER_MARK (the bundler adds it), and only then is the function's env handed to the
 * isolate before its top level runs, as `__nimbus_node_env` (process.ts takes and deletes it).
 * Other bundles pay nothing.
 */
import type ivm from 'isolated-vm';

export const NODE_LAYER_MARK = '\n//# nimbus-node-layer\n';
const ENV_GLOBAL = '__nimbus_node_env';

export function usesNodeLayer(code: string): boolean {
  return code.endsWith(NODE_LAYER_MARK);
}

export function giveNodeEnv(context: ivm.Context, code: string, env: Readonly<Record<string, string>>): void {
  if (!usesNodeLayer(code)) return;
  context.evalClosureSync(`globalThis.${ENV_GLOBAL} = $0;`, [{ ...env }], { arguments: { copy: true } });
}
