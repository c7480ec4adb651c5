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

/** The `before` cursor of a list: the `next` of the previous page, an id (src/core/ids.ts); anything else is a 400. */
export const beforeParam = {
  name: 'before',
  in: 'query',
  schema: { type: 'string', pattern: '^[0-9a-hjkmnp-tv-z]{26}$' },
  description: 'Pagination cursor: the `next` of the previous page (an id); anything else is a 400 NIMBUS_ERR_VALIDATION naming `before`.',
};

export const common = { '401': problem('Missing or wrong bearer token (NIMBUS_ERR_UNAUTHORIZED).') };
