import { Ajv } from 'ajv';

export default function probe() {
  const ajv = new Ajv({ allErrors: true });
  const validate = ajv.compile({
    type: 'object',
    properties: { id: { type: 'integer', minimum: 1 }, name: { type: 'string', pattern: '^[a-z]+$' }, tags: { type: 'array', items: { type: 'string' }, uniqueItems: true } },
    required: ['id', 'name'],
    additionalProperties: false,
  });
  const ok = validate({ id: 3, name: 'abc', tags: ['x'] });
  const bad = validate({ id: 0, name: 'ABC', tags: ['x', 'x'], extra: 1 });
  return { ok, bad, errors: (validate.errors ?? []).map((e) => ({ path: e.instancePath, keyword: e.keyword, message: e.message })) };
}
