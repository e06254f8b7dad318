/**
 * The server of the "stale-socket" scenario: an echo server on the Unix socket stale.sock in the
 * run's directory.
 *
 * bind() on a Unix socket creates the socket file; nothing removes it but unlink(). A server that
 * exits normally unlinks it (Node's server.close() does); a server killed with SIGKILL cannot, and the
 * file stays: a **stale** socket file that nobody listens on. The next bind() to that path fails with
 * EADDRINUSE, as if a server were there. The usual cure, done here when `removeStale` is on: try to
 * connect. ECONNREFUSED means nobody listens: the file is stale, unlink it and bind again. (A connect
 * that succeeds means a live server has it: then leave it alone.)
 */
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Server, Socket } from 'node:net';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { connect, listen, traceAccepted } from '../../../main/runtime/sockets/traced-socket.js';

const path = join(lab.runDir, 'stale.sock');

async function bindOrRecover(): Promise<Server> {
  try {
    return (await listen(lab, { path }, { channel: 'listen' })).server;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') process.exit(1);
  }
  lab.note(`${path} exists already. Is a server listening on it, or is it a stale file? Connecting to find out.`);
  try {
    const probe = await connect(lab, { path }, 'probe');
    lab.note('a server answered: the socket is alive, leave it alone');
    probe.end();
    process.exit(1);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ECONNREFUSED') process.exit(1);
  }
  if (!lab.bool('removeStale')) {
    lab.note(
      `nobody listens on ${path}: it is stale, but this server does not remove it, and cannot bind. Fix: unlink the stale file before bind() (turn on "The restarted server removes a stale socket file").`,
    );
    process.exit(1);
  }
  unlinkSync(path);
  lab.note(`ECONNREFUSED: nobody listens, the file is stale. unlink("${path}") and bind again.`);
  return (await listen(lab, { path }, { channel: 'listen', detail: 'after removing the stale socket file' }).catch(() => process.exit(1))).server;
}

const server = await bindOrRecover();
let served = 0;
server.on('connection', (socket: Socket) => {
  const connection = traceAccepted(lab, socket, `conn-${++served}`, 'unix', path);
  socket.on('data', (chunk: Buffer) => {
    socket.write(chunk);
    if (chunk.toString().includes('bye')) connection.end();
  });
  void connection.closed.then(() => {
    if (connection.bytesIn > 0 && lab.int('generation') > 1) server.close(); // the restarted server serves one conversation
  });
});
