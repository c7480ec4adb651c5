/**
 * Events: topics (/api/v1/topics) and publishing CloudEvents 1.0 over HTTP
 * (POST /api/v1/events/{topic}, structured, binary or batch mode). Publishing accepts the
 * platform token or a function's publish token (NIMBUS_EVENTS_TOKEN in its env).
 */
import { NimbusError } from '../core/errors.ts';
import { sameSecret } from '../core/same-secret.ts';
import { readBody } from '../gateway/body.ts';
import { topicNotFound } from '../triggers/events/bus.ts';
import { parseHttpCloudEvents } from '../triggers/events/cloudevents.ts';
import { verifyPublishToken } from '../triggers/events/publish-token.ts';
import { triggerView, validateTopicName } from '../triggers/definition.ts';
import { systemOf } from './async.ts';
import type { ApiDeps } from './context.ts';
import type { RouteDef } from './router.ts';

function unauthorized(detail: string): NimbusError {
  return new NimbusError('NIMBUS_ERR_UNAUTHORIZED', detail);
}

/** The platform token, or a function's publish token; returns who published. */
function authorizePublish(deps: ApiDeps, header: string | undefined): string {
  const secret = deps.asyncSystem?.publishSecret;
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!m || secret === undefined) throw unauthorized('send Authorization: Bearer <token> (the platform token, or NIMBUS_EVENTS_TOKEN inside a function)');
  if (sameSecret(m[1], secret)) return 'api';
  const fn = verifyPublishToken(secret, m[1]);
  if (fn === null) throw unauthorized('the bearer token is neither the platform token nor a function publish token');
  return `function:${fn}`;
}

export function eventRoutes(deps: ApiDeps): RouteDef[] {
  return [
    {
      method: 'POST',
      path: '/api/v1/events/{topic}',
      operationId: 'publishEvents',
      public: true,
      handler: async (req) => {
        const publisher = authorizePublish(deps, req.headers.authorization);
        const system = systemOf(deps);
        const topic = req.params.topic;
        try {
          // An invalid name is a 400 saying what a name may be, not a 404 suggesting to create it.
          validateTopicName(topic, 'topic');
          if (!(await deps.store.topics.get(topic))) throw topicNotFound(topic);
        } catch (error) {
          req.raw.resume();
          throw error;
        }
        const body = (await readBody(req.raw, deps.payloadLimitBytes, deps.bodies)) ?? Buffer.alloc(0);
        const { mode, events } = parseHttpCloudEvents(req.headers as Record<string, string>, new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
        const result = await system.topics.publish(topic, events);
        return { status: 202, body: { ...result, mode, publisher } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/topics',
      operationId: 'listTopics',
      handler: async () => {
        const topics = await deps.store.topics.list();
        const subs = await deps.store.triggers.list({ kind: 'event' });
        const items = topics.map((t) => ({ ...t, subscriptions: subs.filter((s) => s.topic === t.name).length }));
        return { status: 200, body: { items } };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/topics',
      operationId: 'createTopic',
      handler: async (req) => {
        const body = (await req.json()) as { name?: unknown } | null;
        if (body === null || typeof body !== 'object' || Array.isArray(body) || Object.keys(body).some((k) => k !== 'name')) {
          throw new NimbusError('NIMBUS_ERR_VALIDATION', 'send {"name": "<topic>"}', { extra: { field: '(body)' } });
        }
        const name = validateTopicName(body.name, 'name');
        const created = await deps.store.topics.create(name, deps.clock.now());
        return { status: created ? 201 : 200, body: { ...(await deps.store.topics.get(name))!, created } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/topics/{topic}',
      operationId: 'getTopic',
      handler: async (req) => {
        const topic = await deps.store.topics.get(validateTopicName(req.params.topic, 'topic'));
        if (!topic) throw topicNotFound(req.params.topic);
        const subs = await deps.store.triggers.list({ kind: 'event', topic: topic.name });
        const now = deps.clock.now();
        return { status: 200, body: { ...topic, subscriptions: subs.map((s) => triggerView(s, now)) } };
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/topics/{topic}',
      operationId: 'deleteTopic',
      handler: async (req) => {
        const subs = await deps.store.triggers.list({ kind: 'event', topic: validateTopicName(req.params.topic, 'topic') });
        if (subs.length > 0) {
          throw new NimbusError(
            'NIMBUS_ERR_STATE_CONFLICT',
            `topic "${req.params.topic}" has ${subs.length} subscription(s); remove them first (\`nimbus triggers rm <id>\`)`,
            { extra: { subscriptions: subs.map((s) => s.id) } },
          );
        }
        if (!(await deps.store.topics.delete(req.params.topic))) throw topicNotFound(req.params.topic);
        return { status: 204 };
      },
    },
  ];
}
