// A workflow step / async job: Lambda-style handler that counts the steps it has seen.
export async function handler(event) {
  const e = event && typeof event === 'object' ? event : {};
  return { ...e, steps: (typeof e.steps === 'number' ? e.steps : 0) + 1 };
}
export default {
  async fetch(request) {
    const e = request.method === 'POST' ? await request.json() : {};
    return new Response(JSON.stringify(await handler(e)), { headers: { 'content-type': 'application/json' } });
  },
};
