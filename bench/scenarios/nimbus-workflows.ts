/**
 * How the workflow scenario drives Nimbus's workflow engine. The API is discovered from
 * GET /api/v1/openapi.json; until Nimbus serves a workflow API this throws, and the
 * scenario reports Nimbus as not measured with that reason.
 */
import type { NimbusTarget } from '../targets/nimbus.ts';

export interface NimbusWorkflowApi {
  deploy(name: string, definition: unknown): Promise<void>;
  /** The Task `Resource` string that calls a deployed function. */
  resourceFor(fn: string): string;
  /** Path of a POST that runs an execution to completion and answers with its output. */
  runPath(name: string): string;
  readonly headers: Record<string, string>;
}

export async function nimbusWorkflows(n: NimbusTarget): Promise<NimbusWorkflowApi> {
  const routes = await n.routes();
  if (!routes.some((r) => r.includes('/workflows'))) {
    throw new Error('Nimbus serves no workflow API yet (no /api/v1/workflows route in GET /api/v1/openapi.json)');
  }
  throw new Error(`Nimbus has workflow routes (${routes.filter((r) => r.includes('/workflows')).join(', ')}) but the bench does not drive them yet`);
}
