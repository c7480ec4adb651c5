import { z } from 'zod';

export default function probe() {
  const User = z.object({
    name: z.string().min(2),
    email: z.string().email(),
    age: z.number().int().positive().optional(),
    tags: z.array(z.enum(['a', 'b'])).default([]),
    joined: z.coerce.date(),
  });
  const good = User.parse({ name: 'Ana', email: 'ana@example.com', joined: '2024-02-29T00:00:00Z' });
  const bad = User.safeParse({ name: 'A', email: 'nope', age: -1, tags: ['c'], joined: 'x' });
  return {
    good: { ...good, joined: good.joined.toISOString() },
    ok: bad.success,
    issues: bad.success ? [] : bad.error.issues.map((i) => ({ path: i.path, code: i.code })),
    json: z.toJSONSchema(z.object({ id: z.string().uuid(), n: z.number().max(5) })),
  };
}
