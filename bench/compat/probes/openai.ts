import OpenAI from 'openai';

export default async function probe() {
  const seen: Array<{ url: string; method: string; auth: string | null; body: unknown }> = [];
  // A fetch of our own: the client builds the request and reads the answer, nothing leaves the process.
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const req = new Request(input, init);
    seen.push({ url: req.url, method: req.method, auth: req.headers.get('authorization'), body: JSON.parse(await req.text()) });
    const answer = { id: 'chatcmpl-1', object: 'chat.completion', created: 1709210096, model: 'gpt-x', choices: [{ index: 0, message: { role: 'assistant', content: 'hi there' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } };
    return new Response(JSON.stringify(answer), { status: 200, headers: { 'content-type': 'application/json', 'x-request-id': 'req_1' } });
  };
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: 'https://llm.example/v1', fetch, maxRetries: 0 });
  const r = await client.chat.completions.create({ model: 'gpt-x', messages: [{ role: 'user', content: 'hello' }] });
  return { content: r.choices[0].message.content, usage: r.usage, seen };
}
