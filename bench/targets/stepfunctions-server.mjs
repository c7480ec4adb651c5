// aws-local-stepfunctions behind a tiny node:http front, so it is driven exactly like
// Nimbus's workflow API: POST /workflows/<name>/run with the input as the JSON body
// answers with the execution's output once it has finished. Task states run the same
// step handler as bench/functions/step.js, in-process (taskResourceLocalHandlers).
// Definitions arrive as JSON in $DEFINITIONS ({ name: ASL definition }).
import http from 'node:http';

// aws-local-stepfunctions@3 calls Promise.withResolvers, which Node 20 lacks.
if (!Promise.withResolvers) {
  Promise.withResolvers = function () {
    let resolve, reject;
    const promise = new this((a, b) => {
      resolve = a;
      reject = b;
    });
    return { promise, resolve, reject };
  };
}
const { StateMachine } = await import('aws-local-stepfunctions');

async function step(event) {
  const e = event && typeof event === 'object' ? event : {};
  return { ...e, steps: (typeof e.steps === 'number' ? e.steps : 0) + 1 };
}

const machines = new Map();
for (const [name, definition] of Object.entries(JSON.parse(process.env.DEFINITIONS || '{}'))) {
  const handlers = {};
  for (const [state, def] of Object.entries(definition.States)) if (def.Type === 'Task') handlers[state] = step;
  machines.set(name, { sm: new StateMachine(definition), handlers });
}

const port = Number(process.env.PORT);
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const name = req.url.split('/')[2];
    const m = machines.get(name);
    if (req.method !== 'POST' || !m) {
      res.writeHead(404).end('no such workflow');
      return;
    }
    try {
      const input = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
      const out = await m.sm.run(input, { overrides: { taskResourceLocalHandlers: m.handlers } }).result;
      const body = JSON.stringify(out);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e));
    }
  });
});
server.keepAliveTimeout = 65000;
server.listen(port, '127.0.0.1', () => console.log(`ready http://127.0.0.1:${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
