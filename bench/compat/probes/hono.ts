import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { basicAuth } from 'hono/basic-auth';
import { sign, verify } from 'hono/jwt';
import { FIXED_SEC } from './fixtures.ts';

export default async function probe() {
  const app = new Hono();
  app.use('/api/*', cors({ origin: 'https://a.example' }));
  app.use('/admin/*', basicAuth({ username: 'u', password: 'p' }));
  app.get('/api/users/:id', (c) => c.json({ id: c.req.param('id'), q: c.req.query('q') }));
  app.post('/api/echo', async (c) => c.json(await c.req.json(), 201));
  app.get('/admin/x', (c) => c.text('secret'));
  app.notFound((c) => c.text('nope', 404));
  const r1 = await app.request('/api/users/7?q=z', { headers: { origin: 'https://a.example' } });
  const r2 = await app.request('/api/echo', { method: 'POST', body: JSON.stringify({ a: 1 }), headers: { 'content-type': 'application/json' } });
  const r3 = await app.request('/admin/x');
  const r4 = await app.request('/admin/x', { headers: { authorization: 'Basic ' + btoa('u:p') } });
  const r5 = await app.request('/zzz');
  const token = await sign({ sub: 'x', iat: FIXED_SEC, exp: 4102444800 }, 'secret');
  return {
    r1: [r1.status, await r1.json(), r1.headers.get('access-control-allow-origin')],
    r2: [r2.status, await r2.json()],
    r3: r3.status,
    r4: [r4.status, await r4.text()],
    r5: [r5.status, await r5.text()],
    token,
    verified: await verify(token, 'secret', 'HS256'),
  };
}
