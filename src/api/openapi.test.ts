import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiDeps } from './context.ts';
import { apiRoutes } from './index.ts';
import { OPENAPI } from './openapi.ts';

const deps = new Proxy({}, { get: () => () => undefined }) as unknown as ApiDeps;

function documented(): Set<string> {
  const ops = new Set<string>();
  for (const [path, item] of Object.entries(OPENAPI.paths)) {
    for (const method of Object.keys(item)) ops.add(`${method.toUpperCase()} ${path}`);
  }
  return ops;
}

test('every route is documented in the OpenAPI document, and every documented operation is routed', () => {
  const routed = new Set(apiRoutes(deps).map((r) => `${r.method} ${r.path}`));
  assert.deepEqual([...routed].sort(), [...documented()].sort());
});

test('operation ids match between the routes and the document', () => {
  for (const route of apiRoutes(deps)) {
    const item = (OPENAPI.paths as Record<string, Record<string, { operationId: string }>>)[route.path];
    assert.equal(item[route.method.toLowerCase()].operationId, route.operationId, `${route.method} ${route.path}`);
  }
});

test('every $ref points at a schema that exists', () => {
  const refs = JSON.stringify(OPENAPI).match(/#\/components\/schemas\/\w+/g) ?? [];
  for (const ref of refs) {
    const name = ref.split('/').pop() as string;
    assert.ok(name in OPENAPI.components.schemas, `${ref} is dangling`);
  }
});
