/**
 * The server of the "many-clients" scenario: one listening socket, several clients at once. Each
 * accept() gives a new socket, and the server serves them all concurrently from one thread: Node's
 * event loop waits on all the sockets at once (epoll) and handles whichever has data.
 *
 * Each client says who it is and how many messages it will send, and streams them; the server answers
 * each message ("got k"), and the answer to the last one is the client's acknowledgement. A client that
 * vanishes halfway is noticed through the kernel, not told by the program: its socket ends (FIN: its
 * process was killed with nothing unread in its receive queue, and its kernel closed the socket in
 * order) or is reset (RST: it reset on purpose, or it died with unread data, net/ipv4/tcp.c tcp_close).
 * The server records how far that client got and goes on with the others.
 */
import type { Socket } from 'node:net';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { listen, traceAccepted, type TracedConnection } from '../../../main/runtime/sockets/traced-socket.js';
import { frame, FrameReader } from '../../../main/runtime/sockets/framing.js';

const clients = lab.int('clients');
const failing = lab.int('failingClient');
if (failing > clients) lab.note(`client ${failing} does not exist (there are ${clients}): no client dies. Fix: choose a client from 1 to ${clients}, or 0.`);

interface Peer {
  client?: number;
  expected?: number;
  received: number;
  complete: boolean;
}

const connections: TracedConnection[] = [];
const peers: Peer[] = [];

function serve(socket: Socket): void {
  const peer: Peer = { received: 0, complete: false };
  peers.push(peer);
  const connection = traceAccepted(lab, socket, `conn-${connections.length + 1}`, 'tcp', undefined, () =>
    peer.complete
      ? `client ${peer.client}: all ${peer.expected} messages`
      : `client ${peer.client ?? '?'} stopped after ${peer.received} of ${peer.expected ?? '?'} messages: it vanished mid-stream`,
  );
  connections.push(connection);
  const frames = new FrameReader(64 * 1024);
  socket.on('data', (chunk: Buffer) => {
    let messages: Buffer[];
    try {
      messages = frames.push(chunk);
    } catch (error) {
      lab.emit('io.error', {
        op: 'read',
        channel: connection.channel,
        code: 'EBADMSG',
        message: `${(error as Error).message}; closing this connection, the server keeps serving others`,
      });
      socket.destroy();
      return;
    }
    for (const message of messages) {
      const text = message.toString();
      if (peer.client === undefined) {
        const hello = /^client (\d+) sends (\d+)$/.exec(text);
        if (!hello) {
          lab.emit('io.error', {
            op: 'read',
            channel: connection.channel,
            code: 'EPROTO',
            message: `expected "client <n> sends <k>", got ${JSON.stringify(text.slice(0, 80))}: closing this connection`,
          });
          socket.destroy();
          return;
        }
        peer.client = Number(hello[1]);
        peer.expected = Number(hello[2]);
        continue;
      }
      peer.received++;
      lab.emit('message.receive', { channel: `client-${peer.client}`, messageId: peer.received, bytes: message.length, text });
      if (text !== `client ${peer.client} message ${peer.received}`)
        lab.emit('io.error', {
          op: 'read',
          channel: connection.channel,
          code: 'EBADMSG',
          message: `message ${peer.received} of client ${peer.client} is ${JSON.stringify(text)}`,
        });
      if (peer.received === peer.expected) peer.complete = true;
      if (!socket.destroyed) socket.write(frame(Buffer.from(`got ${peer.received}`)));
    }
  });
  socket.on('error', () => {}); // traced as socket.close how "reset" by TracedConnection
}

const { server, address } = await listen(lab, { host: '127.0.0.1', port: 0 }, { channel: 'listen' }).catch(() => process.exit(1));
server.on('connection', serve);
const port = Number(address.slice(address.lastIndexOf(':') + 1));

const children = [];
for (let i = 1; i <= clients; i++) children.push(lab.spawn('client', 'stream-client.ts', { params: { ...lab.params, port, client: i } }));
await Promise.all(children.map((c) => c.exited));
await Promise.all(connections.map((c) => c.closed));
const complete = peers.filter((p) => p.complete).length;
lab.measure('clients completed', complete, 'clients');
lab.measure('clients cut short', peers.length - complete, 'clients');
lab.note(`${complete} of ${peers.length} clients sent everything; ${peers.length - complete} vanished mid-stream, and the server kept serving the others`);
server.close();
