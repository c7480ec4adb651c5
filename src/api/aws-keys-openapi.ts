/** OpenAPI paths of /api/v1/aws-keys (the AWS-compatible endpoint's access keys). */
import { common, problem } from './openapi-parts.ts';

const keyView = {
  type: 'object',
  required: ['accessKeyId', 'createdAt', 'description'],
  properties: {
    accessKeyId: { type: 'string', description: 'The key id AWS clients send (AWS_ACCESS_KEY_ID).' },
    createdAt: { type: 'integer', description: 'Epoch ms.' },
    description: { type: 'string' },
  },
};

export const AWS_KEY_PATHS = {
  '/api/v1/aws-keys': {
    get: {
      operationId: 'listAwsKeys',
      summary: 'List the access keys of the AWS-compatible endpoint (never their secrets).',
      responses: {
        '200': {
          description: 'The keys.',
          content: { 'application/json': { schema: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: keyView } } } } },
        },
        ...common,
      },
    },
    post: {
      operationId: 'createAwsKey',
      summary: 'Issue an access key for the AWS-compatible endpoint (docs/aws.md). The secret is in this answer only; it is stored encrypted.',
      requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { description: { type: 'string' } } } } } },
      responses: {
        '201': {
          description: 'The new key with its secret (shown once).',
          content: {
            'application/json': {
              schema: {
                ...keyView,
                required: [...keyView.required, 'secretAccessKey', 'region', 'endpointUrl'],
                properties: {
                  ...keyView.properties,
                  secretAccessKey: { type: 'string' },
                  region: { type: 'string', description: 'The region requests are signed for (`--aws-region`), AWS_REGION.' },
                  endpointUrl: { type: 'string', description: "The platform's URL, the AWS clients' endpoint (`--endpoint-url`)." },
                },
              },
            },
          },
        },
        '400': problem('The body is not {"description": "…"} (NIMBUS_ERR_VALIDATION).'),
        ...common,
      },
    },
  },
  '/api/v1/aws-keys/{accessKeyId}': {
    delete: {
      operationId: 'deleteAwsKey',
      summary: 'Remove an access key: requests signed with it are refused from now on.',
      parameters: [{ name: 'accessKeyId', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { '204': { description: 'Removed.' }, '404': problem('No such key (NIMBUS_ERR_AWS_KEY_NOT_FOUND).'), ...common },
    },
  },
};
