// The connector: the first process in an app instance's network namespace (docs/apps.md,
// Network), started by bubblewrap as `node connector.mjs <appPort> <proxyPort> <command>`
// with the platform's IPC channel on fd 3. The namespace has only a loopback, so it is
// the platform's only way in and the app's only way out:
// - in: on {t:'dial', id} it connects to the app's port and sends the connected socket
//   to the platform ({t:'dialed', id} with the handle; Node passes the descriptor with
//   SCM_RIGHTS), which then talks to the app directly on it; a failure is {t:'dial-failed'};
// - out: it listens on 127.0.0.1:<proxyPort> (the app's HTTP_PROXY) and sends each
//   accepted connection, unread, to the platform ({t:'out'}), whose egress proxy applies
//   the isolates' rules.
// It starts the app with /bin/sh -c (fd 3 is not passed on), leaves SIGTERM to it (the
// platform signals the app's processes itself), and exits as the app did.
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';

const [appPort, proxyPort, command] = process.argv.slice(2);
const send = (message, handle) => {
  if (!process.connected) return handle?.destroy();
  process.send(message, handle, (error) => error && handle?.destroy());
};

process.on('SIGTERM', () => {});
process.on('message', (m) => {
  if (m?.t !== 'dial' || typeof m.id !== 'number') return;
  const socket = connect({ port: Number(appPort), host: '127.0.0.1' });
  socket.once('error', (e) => send({ t: 'dial-failed', id: m.id, code: e.code ?? 'ERROR' }));
  socket.once('connect', () => {
    socket.removeAllListeners('error');
    socket.on('error', () => {});
    send({ t: 'dialed', id: m.id }, socket);
  });
});
// The platform gone: nothing can reach the app any more.
process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));

const proxy = createServer({ pauseOnConnect: true }, (socket) => {
  socket.on('error', () => {});
  send({ t: 'out' }, socket);
});
proxy.listen(Number(proxyPort), '127.0.0.1', () => {
  const app = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'inherit', 'inherit'] });
  app.on('error', (e) => {
    console.error(`nimbus: the app could not be started: ${e.message}`);
    process.exit(127);
  });
  app.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners('SIGTERM');
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
});
