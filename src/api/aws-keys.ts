/** /api/v1/aws-keys: the access keys of the AWS-compatible endpoint (create shows the secret once; list; delete). */
import { NimbusError } from '../core/errors.ts';
import type { AwsKeyStore } from './aws/keys.ts';
import type { ApiDeps } from './context.ts';
import type { RouteDef } from './router.ts';

function keysOf(deps: ApiDeps): AwsKeyStore {
  if (!deps.awsKeys) throw new NimbusError('NIMBUS_ERR_INTERNAL', 'the AWS-compatible endpoint is not enabled in this platform');
  return deps.awsKeys;
}

export function awsKeyRoutes(deps: ApiDeps): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/aws-keys',
      operationId: 'listAwsKeys',
      handler: async () => ({ status: 200, body: { items: await keysOf(deps).list() } }),
    },
    {
      method: 'POST',
      path: '/api/v1/aws-keys',
      operationId: 'createAwsKey',
      handler: async (req) => {
        const body = ((await req.json()) ?? {}) as { description?: unknown };
        if (typeof body !== 'object' || Array.isArray(body) || (body.description !== undefined && typeof body.description !== 'string')) {
          throw new NimbusError('NIMBUS_ERR_VALIDATION', 'the body is {"description": "<text>"} or empty', { extra: { field: 'description' } });
        }
        const key = await keysOf(deps).create((body.description as string | undefined) ?? '');
        // What a client needs besides the key: the region to sign for and the URL to send to.
        return { status: 201, body: { ...key, region: deps.awsRegion ?? 'us-east-1', endpointUrl: deps.publicUrl() } };
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/aws-keys/{accessKeyId}',
      operationId: 'deleteAwsKey',
      handler: async (req) => {
        await keysOf(deps).remove(req.params.accessKeyId);
        return { status: 204 };
      },
    },
  ];
}
