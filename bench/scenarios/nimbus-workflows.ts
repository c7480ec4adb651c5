/**
 * How the workflow scenario drives Nimbus's workflow engine: a state machine is created
 * with PUT /api/v1/workflows/{name}, an execution is run to completion synchronously with
 * POST /api/v1/workflows/{name}/run. Body shapes are read from the OpenAPI document
 * (`{definition}` or the bare definition; `{input}` or the bare input; an `output` field
 * or the bare output), so the bench follows the API rather than guessing. Until those
 * routes exist this throws and the scenario reports Nimbus as not measured.
 */
import type { NimbusTarget, OpenApiDoc, SchemaObject } from '../targets/nimbus.ts';

export interface NimbusWorkflowApi {
  deploy(name: string, definition: unknown): Promise<void>;
  /** The Task `Resource` that calls a deployed function (the Lambda ARN form both engines accept). */
  resourceFor(fn: string): string;
  /** Path of a POST that runs an execution to completion and answers with its output. */
  runPath(name: string): string;
  /** The body to POST for a given input. */
  runBody(input: unknown): string;
  /** The execution output inside a run's answer. */
  outputOf(answer: unknown): unknown;
  readonly headers: Record<string, string>;
}

const MACHINE = '/api/v1/workflows/{name}';
const RUN = '/api/v1/workflows/{name}/run';

function resolve(doc: OpenApiDoc, s: SchemaObject | undefined): SchemaObject | undefined {
  for (let i = 0; i < 10 && s?.$ref; i++) s = doc.components?.schemas?.[s.$ref.split('/').pop()!];
  return s;
}

const jsonSchema = (doc: OpenApiDoc, c: { content?: Record<string, { schema?: SchemaObject }> } | undefined) =>
  resolve(doc, c?.content?.['application/json']?.schema);

export async function nimbusWorkflows(n: NimbusTarget): Promise<NimbusWorkflowApi> {
  const doc = await n.openapi();
  const put = doc?.paths?.[MACHINE]?.put;
  const run = doc?.paths?.[RUN]?.post;
  if (!doc || !put || !run) {
    const have = Object.keys(doc?.paths ?? {}).filter((p) => p.includes('workflow'));
    throw new Error(
      `Nimbus serves no ${!put ? `PUT ${MACHINE}` : `POST ${RUN}`} yet${have.length ? ` (it has ${have.join(', ')})` : ' (no workflow routes in GET /api/v1/openapi.json)'}`,
    );
  }
  const deployWraps = jsonSchema(doc, put.requestBody)?.properties?.definition !== undefined;
  const runWraps = jsonSchema(doc, run.requestBody)?.properties?.input !== undefined;
  const outWraps = jsonSchema(doc, run.responses?.['200'])?.properties?.output !== undefined;
  return {
    async deploy(name, definition) {
      const r = await n.api('PUT', MACHINE.replace('{name}', encodeURIComponent(name)), deployWraps ? { definition } : definition);
      if (r.status < 200 || r.status >= 300) throw new Error(`PUT ${MACHINE} for ${name} answered ${r.status}: ${r.body.slice(0, 300)}`);
    },
    resourceFor: (fn) => `arn:aws:lambda:us-east-1:123456789012:function:${fn}`,
    runPath: (name) => RUN.replace('{name}', encodeURIComponent(name)),
    runBody: (input) => JSON.stringify(runWraps ? { input } : input),
    outputOf: (answer) => (outWraps && answer && typeof answer === 'object' ? (answer as { output?: unknown }).output : answer),
    headers: { authorization: `Bearer ${n.token}` },
  };
}
