// JSON echo: parse the request body and send it back re-serialised.
export default {
  async fetch(request) {
    const data = await request.json();
    return new Response(JSON.stringify(data), { headers: { 'content-type': 'application/json' } });
  },
};
