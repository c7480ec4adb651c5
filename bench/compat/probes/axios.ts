import axios from 'axios';

export default async function probe() {
  const seen: Array<{ url: string; method: string; headers: Record<string, string>; body: string | null }> = [];
  // The fetch adapter with a fetch of our own: the request is built by axios and never leaves the process.
  const fakeFetch = async (input: Request | string | URL, init?: RequestInit): Promise<Response> => {
    const req = new Request(input, init);
    const headers: Record<string, string> = {};
    req.headers.forEach((v, k) => (headers[k] = v));
    delete headers['user-agent'];
    seen.push({ url: req.url, method: req.method, headers, body: req.body ? await req.text() : null });
    const status = req.url.includes('missing') ? 404 : 200;
    return new Response(JSON.stringify({ ok: status === 200, echo: req.url }), { status, headers: { 'content-type': 'application/json', 'x-answer': '42' } });
  };
  const client = axios.create({ adapter: 'fetch', baseURL: 'https://api.example.com/v1/', headers: { 'x-api-key': 'k' }, env: { fetch: fakeFetch } });
  client.interceptors.request.use((c) => {
    c.headers.set('x-intercepted', 'yes');
    return c;
  });
  const got = await client.get('items', { params: { q: 'a b', page: 2 } });
  const posted = await client.post('items', { name: 'x' });
  let notFound = '';
  try {
    await client.get('missing');
  } catch (e) {
    notFound = `${(e as { response?: { status: number } }).response?.status} ${axios.isAxiosError(e)}`;
  }
  return { got: { status: got.status, data: got.data, answer: got.headers['x-answer'] }, posted: posted.data, notFound, seen, uri: client.getUri({ url: 'x', params: { a: [1, 2] } }) };
}
