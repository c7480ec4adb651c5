/**
 * Cluster mode: a request about a workflow execution that another node drives (a stop, a
 * callback task's result) is handed to that node, found by the execution's lease and the
 * node registry, with the caller's authorization; its answer is passed back as it is. A
 * request that was handed over already is not handed on again, and when the owner cannot
 * be reached the caller gets the original NIMBUS_ERR_EXECUTION_ELSEWHERE (503, retry).
 */
import { isNimbusError } from '../core/errors.ts';
import type { ApiDeps } from './context.ts';
import type { ApiRequest, ApiResponse } from './router.ts';

export const FORWARDED_HEADER = 'x-nimbus-forwarded';
const FORWARD_TIMEOUT_MS = 10_000;

/** Runs `handle`; when it finds the execution driven elsewhere, asks the owner instead. */
export async function orOwner(deps: ApiDeps, req: ApiRequest, body: unknown, handle: () => Promise<ApiResponse>): Promise<ApiResponse> {
  try {
    return await handle();
  } catch (error) {
    if (!isNimbusError(error) || error.code !== 'NIMBUS_ERR_EXECUTION_ELSEWHERE' || req.headers[FORWARDED_HEADER] !== undefined) throw error;
    const executionId = (error.extra as { executionId?: unknown } | undefined)?.executionId;
    const owner = typeof executionId === 'string' ? await deps.cluster?.ownerAddress?.(executionId) : null;
    if (!owner) throw error;
    try {
      const res = await fetch(owner + req.path, {
        method: req.method,
        headers: {
          'content-type': 'application/json',
          [FORWARDED_HEADER]: '1',
          ...(typeof req.headers.authorization === 'string' ? { authorization: req.headers.authorization } : {}),
        },
        body: JSON.stringify(body ?? {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
      });
      const text = await res.text();
      return { status: res.status, body: text === '' ? undefined : JSON.parse(text), headers: { 'content-type': res.headers.get('content-type') ?? 'application/json' } };
    } catch {
      throw error;
    }
  }
}
