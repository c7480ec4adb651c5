/** OpenAPI paths of /api/v1/runtimes. */
import { common } from './openapi-parts.ts';

const isolation = {
  type: 'object',
  description: 'What this host lets the platform enforce on app processes, probed at start (docs/apps.md, Sandbox).',
  properties: {
    sandbox: { type: 'string', enum: ['bubblewrap', 'none'], description: '`bubblewrap`: namespaces, read-only /app, private /tmp, declared env only; `none`: the host filesystem as the platform user, declared env only.' },
    namespaces: { type: 'array', items: { type: 'string' } },
    memoryLimit: { type: 'string', enum: ['cgroup-v1', 'cgroup-v2', 'rlimit-as', 'none'] },
    processLimit: { type: 'string', enum: ['cgroup-v1', 'cgroup-v2', 'none'] },
    dieWithPlatform: { type: 'string', enum: ['pid-namespace', 'none'], description: 'Whether app processes end when the platform is killed (even with SIGKILL).' },
    network: {
      type: 'string',
      enum: ['namespace', 'host'],
      description:
        "`namespace`: each app and node instance has its own network namespace (only a loopback); the platform reaches it through a connector process, its outbound HTTP(S) goes through the platform's egress proxy under the isolates' rules, other protocols reach nothing. `host`: they share the host network, where those rules do not apply (docs/apps.md, Network).",
    },
    hostNetworkAllowed: { type: 'boolean', description: 'The operator chose the host network with --app-host-network. Where the host cannot make network namespaces, app and node deploys are refused without it.' },
    notes: { type: 'array', items: { type: 'string' } },
  },
};

export const RUNTIME_PATHS = {
  '/api/v1/runtimes': {
    get: {
      operationId: 'listRuntimes',
      summary: 'The runtimes functions can use (`isolate`, `app`) and, for apps, what the host enforces.',
      responses: {
        '200': {
          description: 'The runtimes.',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['items'],
                properties: {
                  items: {
                    type: 'array',
                    items: { type: 'object', required: ['kind', 'description'], properties: { kind: { type: 'string' }, description: { type: 'string' }, isolation } },
                  },
                },
              },
            },
          },
        },
        ...common,
      },
    },
  },
};
