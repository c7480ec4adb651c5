/** Building blocks shared by the OpenAPI path tables (openapi.ts, async-openapi.ts). */
export const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

export const json = (description: string, ref: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } },
});

export const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string' }, description: 'Function name.' };

export const common = { '401': problem('Missing or wrong bearer token (NIMBUS_ERR_UNAUTHORIZED).') };
