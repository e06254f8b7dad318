/**
 * The receiver of the "identity" scenario: it listens on a Unix stream socket, desk.sock in the run's
 * directory, then starts the three senders (lab.spawn: the engine knows each one's pid and role), and
 * takes their messages, one connection each. Every message says who sent it ("from sender-2"): that is
 * the sender's claim. For each connection the receiver also asks the kernel who is at the other end,
 * getsockopt(SO_PEERCRED): the pid, uid and gid of the process that called connect(), recorded by the
 * kernel then; a peer cannot choose what it says (unix(7)).
 */
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { native } from '../../../main/native/index.js';
import { FrameInbox } from '../../../main/runtime/sockets/framing.js';
import { listen, traceAccepted } from '../../../main/runtime/sockets/traced-socket.js';
import { messageId } from './mailboxes.js';

const SENDERS = 3;
/** The measure that follows each message.receive (the check reads it by this name). */
const PEER_PID = 'SO_PEERCRED pid';
const path = join(lab.runDir, 'desk.sock');
const { server } = await listen(lab, { path }, { channel: 'desk' });
let connections = 0;
const served: Promise<void>[] = [];

async function serve(socket: Socket, channel: string): Promise<void> {
  const connection = traceAccepted(lab, socket, channel, 'unix', path);
  // The socket's descriptor: Node keeps it in its handle (the engine's trace channel reads it the same way).
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
  const peer = native().peerCredentials(fd);
  const inbox = new FrameInbox(socket, 64 * 1024);
  for (let m = await inbox.next(); m !== undefined; m = await inbox.next()) {
    const text = m.toString('utf8');
    // Per message: what it claims (its text), then, at once, what the kernel says of the connection it came on.
    lab.emit('message.receive', { channel: 'desk', messageId: messageId(text), bytes: m.length, text });
    lab.measure(PEER_PID, peer.pid, 'pid', `${channel}: the kernel says pid ${peer.pid} (uid ${peer.uid}, gid ${peer.gid}) connected it`);
  }
  connection.end();
  await connection.closed;
}

const allConnected = new Promise<void>((resolve) => {
  server.on('connection', (socket: Socket) => {
    served.push(serve(socket, `desk connection ${++connections}`));
    if (connections === SENDERS) resolve();
  });
});
const senders = Array.from({ length: SENDERS }, (_, i) => lab.spawn(`sender-${i + 1}`, 'desk-sender.ts'));
await allConnected;
server.close();
await Promise.all(served);
await Promise.all(senders.map((sender) => sender.exited));
