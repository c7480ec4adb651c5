// The app of the apps scenario: a bare node:http server answering "hello" on $HOST:$PORT.
import http from 'node:http';

http
  .createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('hello');
  })
  .listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
