import fetch, { Headers, Request, Response } from 'node-fetch';

export default async function probe() {
  // Offline: the classes only (a real request would leave the machine).
  const h = new Headers({ 'X-A': '1' });
  h.append('x-a', '2');
  const req = new Request('https://api.example/x?y=1', { method: 'POST', body: JSON.stringify({ n: 1 }), headers: { 'content-type': 'application/json' } });
  const res = new Response('{"ok":true}', { status: 201, headers: { 'content-type': 'application/json' } });
  return {
    fetch: typeof fetch,
    header: h.get('x-a'),
    req: [req.method, req.url, req.headers.get('content-type'), await req.json()],
    res: [res.status, res.ok, await res.json()],
  };
}
