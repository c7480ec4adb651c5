import { AutoRouter, Router, json, error, withParams } from 'itty-router';

export default async function probe() {
  const auto = AutoRouter();
  auto.get('/hello/:name', ({ name }) => ({ hello: name }));
  auto.post('/echo', async (req) => ({ got: await req.json() }));
  const plain = Router();
  plain.get('/items/:id', withParams, ({ id }) => json({ id }));
  plain.all('*', () => error(404, 'not here'));
  const a = await auto.fetch(new Request('https://x/hello/nimbus'));
  const b = await auto.fetch(new Request('https://x/echo', { method: 'POST', body: '{"n":1}' }));
  const c = await auto.fetch(new Request('https://x/zzz'));
  const d = await plain.fetch(new Request('https://x/items/42'));
  const e = await plain.fetch(new Request('https://x/other'));
  return { a: [a.status, await a.json()], b: [b.status, await b.json()], c: c.status, d: await d.json(), e: [e.status, await e.json()] };
}
