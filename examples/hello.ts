// The smallest Nimbus function: a Web-standard fetch handler, as on Cloudflare Workers.
// Deploy: nimbus deploy hello ./examples/hello.ts    Call: curl localhost:8080/fn/hello/world
export default {
  async fetch(request: Request, env: Record<string, string>): Promise<Response> {
    const url = new URL(request.url);
    const name = url.searchParams.get('name') ?? (url.pathname.slice(1) || 'world');
    console.log(`greeting ${name}`);
    return new Response(`${env.GREETING ?? 'Hello'}, ${name}!\n`, {
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  },
};
