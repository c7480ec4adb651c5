// An unmodified Hono app: Nimbus calls its fetch export. The app sees its own paths
// (/, /users/:id …); the /fn/hono-app prefix is stripped by the gateway.
import { Hono } from 'hono';

const app = new Hono();

const users = new Map<string, { id: string; name: string }>([
  ['1', { id: '1', name: 'Ada Lovelace' }],
  ['2', { id: '2', name: 'Grace Hopper' }],
]);

app.get('/', (c) => c.text('Hono on Nimbus: try /users or /users/1\n'));
app.get('/users', (c) => c.json([...users.values()]));
app.get('/users/:id', (c) => {
  const user = users.get(c.req.param('id'));
  return user ? c.json(user) : c.json({ error: 'no such user' }, 404);
});
app.post('/users', async (c) => {
  const body = await c.req.json<{ name?: string }>();
  if (!body.name) return c.json({ error: 'name is required' }, 400);
  const id = String(users.size + 1);
  // Instances are disposable: state here lives only as long as the instance.
  users.set(id, { id, name: body.name });
  return c.json(users.get(id), 201);
});

export default app;
