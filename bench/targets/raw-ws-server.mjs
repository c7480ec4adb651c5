// The baseline for WebSocket echo: a bare ws server on 127.0.0.1:$PORT echoing every
// message in-process, on any path (no function, no isolate, no platform). Prints "ready".
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.env.PORT), perMessageDeflate: false, clientTracking: false });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
wss.on('listening', () => console.log(`ready ws://127.0.0.1:${process.env.PORT}`));
process.on('SIGTERM', () => process.exit(0));
