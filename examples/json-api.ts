// A Lambda-style handler. Over HTTP it receives an API Gateway v2 event and returns
// {statusCode, headers, body}; `nimbus invoke json-api --data '{"name":"Ada"}'` passes the
// JSON straight in as the event.
interface Context {
  invocationId: string;
  functionName: string;
  getRemainingTimeInMillis(): number;
}

interface HttpEvent {
  requestContext?: { http?: { method: string } };
  rawPath?: string;
  body?: string;
}

function greet(input: { name?: unknown }) {
  const name = typeof input.name === 'string' && input.name.trim() !== '' ? input.name.trim() : 'stranger';
  return { greeting: `Hello, ${name}!`, length: name.length, at: new Date().toISOString() };
}

export async function handler(event: HttpEvent & { name?: unknown }, context: Context) {
  if (event.requestContext?.http) {
    // Called over HTTP: POST a JSON body, or GET for a default greeting.
    let input: { name?: unknown } = {};
    if (event.body) {
      try {
        input = JSON.parse(event.body);
      } catch {
        return { statusCode: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'body must be JSON' }) };
      }
    }
    console.log('http', event.requestContext.http.method, event.rawPath);
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(greet(input)) };
  }
  // Invoked directly with an event.
  console.log('direct invoke', context.invocationId, 'remaining ms', context.getRemainingTimeInMillis());
  return greet(event);
}
