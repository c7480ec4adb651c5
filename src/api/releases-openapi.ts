/**
 * OpenAPI paths and component schemas of the release routes (aliases, rollback, secrets);
 * spread into openapi.ts and schemas.ts so the document stays one.
 */
import { common, json, nameParam, problem } from './openapi-parts.ts';

const aliasParam = { name: 'alias', in: 'path', required: true, schema: { type: 'string' }, description: 'Alias name (starts with a letter).' };
const secretParam = { name: 'secret', in: 'path', required: true, schema: { type: 'string' }, description: 'Secret name (letters, digits, _; not starting with a digit). Refused: NIMBUS_*, EVENTS and __proto__ (and PORT, HOST for an app), which the platform sets itself.' };
const route = {
  type: 'object',
  required: ['version', 'weight'],
  additionalProperties: false,
  properties: { version: { type: 'integer', minimum: 1 }, weight: { type: 'integer', minimum: 0, maximum: 100, description: 'Share of the traffic, in percent.' } },
};
const notFound = problem('No such function (NIMBUS_ERR_FUNCTION_NOT_FOUND), alias (NIMBUS_ERR_ALIAS_NOT_FOUND) or version (NIMBUS_ERR_VERSION_NOT_FOUND).');

export const RELEASE_SCHEMAS = {
  AliasRoute: route,
  Alias: {
    type: 'object',
    required: ['functionName', 'name', 'routes', 'previous', 'updatedAt'],
    properties: {
      functionName: { type: 'string' },
      name: { type: 'string' },
      routes: { type: 'array', items: { $ref: '#/components/schemas/AliasRoute' }, description: 'One version at 100, or two whose weights sum to 100.' },
      previous: { type: ['array', 'null'], items: { $ref: '#/components/schemas/AliasRoute' }, description: 'What the alias pointed at before its last change: rollback goes back to it.' },
      updatedAt: { type: 'integer' },
    },
  },
  SetAliasRequest: {
    type: 'object',
    required: ['routes'],
    additionalProperties: false,
    properties: { routes: { type: 'array', minItems: 1, maxItems: 2, items: route } },
  },
  RollbackRequest: {
    type: 'object',
    additionalProperties: false,
    properties: { alias: { type: 'string', description: 'The alias to move back (default `live`).' } },
  },
  SetSecretRequest: {
    type: 'object',
    required: ['value'],
    additionalProperties: false,
    properties: { value: { type: 'string', minLength: 1, description: 'Stored encrypted; never returned.' } },
  },
  SecretList: {
    type: 'object',
    required: ['version', 'items'],
    properties: {
      version: { type: 'integer', description: 'The latest version, whose secrets these are.' },
      items: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } },
    },
  },
  SecretChange: {
    type: 'object',
    required: ['version', 'created'],
    properties: { version: { type: 'integer', description: 'The version made by the change (a secret is part of a release).' }, created: { type: 'boolean' } },
  },
};

export const RELEASE_PATHS = {
  '/api/v1/functions/{name}/aliases': {
    get: {
      operationId: 'listAliases',
      summary: "The function's aliases, by name.",
      parameters: [nameParam],
      responses: {
        '200': { description: 'Aliases.', content: { 'application/json': { schema: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Alias' } } } } } } },
        '404': notFound,
        ...common,
      },
    },
  },
  '/api/v1/functions/{name}/aliases/{alias}': {
    get: {
      operationId: 'getAlias',
      summary: 'One alias.',
      parameters: [nameParam, aliasParam],
      responses: { '200': json('The alias.', 'Alias'), '404': notFound, ...common },
    },
    put: {
      operationId: 'setAlias',
      summary: 'Points the alias at a version, or splits its traffic between two by weight; the next request follows it. What it pointed at before is kept for rollback.',
      parameters: [nameParam, aliasParam],
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/SetAliasRequest' } } } },
      responses: { '200': json('The alias as it is now.', 'Alias'), '400': problem('Invalid name, routes or weights (NIMBUS_ERR_VALIDATION).'), '404': notFound, ...common },
    },
    delete: {
      operationId: 'deleteAlias',
      summary: 'Removes the alias (removing `live` sends unqualified calls to the latest version again).',
      parameters: [nameParam, aliasParam],
      responses: { '204': { description: 'Removed.' }, '404': notFound, ...common },
    },
  },
  '/api/v1/functions/{name}/rollback': {
    post: {
      operationId: 'rollbackAlias',
      summary: 'Moves an alias (default `live`) back to what it pointed at before its last change.',
      parameters: [nameParam],
      requestBody: { required: false, content: { 'application/json': { schema: { $ref: '#/components/schemas/RollbackRequest' } } } },
      responses: {
        '200': json('The alias as it is now.', 'Alias'),
        '404': notFound,
        '409': problem('The alias has never been moved (NIMBUS_ERR_STATE_CONFLICT).'),
        ...common,
      },
    },
  },
  '/api/v1/functions/{name}/secrets': {
    get: {
      operationId: 'listSecrets',
      summary: "Names of the latest version's secrets; values are never returned.",
      parameters: [nameParam],
      responses: { '200': json('Secret names.', 'SecretList'), '404': notFound, ...common },
    },
  },
  '/api/v1/functions/{name}/secrets/{secret}': {
    put: {
      operationId: 'setSecret',
      summary: 'Sets a secret: a new version with the latest code and config and the secret (encrypted at rest, given to the function in env).',
      parameters: [nameParam, secretParam],
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/SetSecretRequest' } } } },
      responses: { '201': json('The new version.', 'SecretChange'), '200': json('Nothing changed.', 'SecretChange'), '400': problem('Invalid name or value (NIMBUS_ERR_VALIDATION).'), '404': notFound, ...common },
    },
    delete: {
      operationId: 'deleteSecret',
      summary: 'Removes a secret: a new version without it.',
      parameters: [nameParam, secretParam],
      responses: { '201': json('The new version.', 'SecretChange'), '404': problem('No such function or secret (NIMBUS_ERR_SECRET_NOT_FOUND).'), ...common },
    },
  },
};
