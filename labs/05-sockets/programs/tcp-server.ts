/**
 * The server of the "connections" scenario: socket(), bind(127.0.0.1:port), listen(), then accept()
 * once per client. It starts the clients itself, once it listens, so that none knocks too early.
 *
 * Each accepted connection is a new socket: the listening one stays in LISTEN and keeps accepting,
 * and each connection's socket is ESTABLISHED, named by the pair (server address, client address).
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { listen, traceAccepted, type TracedConnection } from '../../../main/runtime/sockets/traced-socket.js';
import { FrameReader } from '../../../main/runtime/sockets/framing.js';
import { ephemeralPortRange } from './ephemeral-ports.js';

const clients = lab.int('clients');
const range = ephemeralPortRange();
if (range) {
  lab.measure('ephemeral port range low', range.low, 'port', '/proc/sys/net/ipv4/ip_local_port_range');
  lab.measure('ephemeral port range high', range.high, 'port', '/proc/sys/net/ipv4/ip_local_port_range');
  lab.note(`clients get their port from ${range.low}–${range.high} (/proc/sys/net/ipv4/ip_local_port_range): ${range.high - range.low + 1} ephemeral ports`);
}

// On failure listen() has traced the errno and its fix (EADDRINUSE: another process holds the port).
const { server, address } = await listen(lab, { host: '127.0.0.1', port: lab.int('port') }, { channel: 'listen', detail: 'the listening socket: it only accepts, it carries no data' }).catch(() =>
  process.exit(1),
);
const port = Number(address.slice(address.lastIndexOf(':') + 1));
if (lab.int('port') === 0) lab.note(`port 0 asks the kernel for any free port: it gave ${port}`);

const connections: TracedConnection[] = [];
server.on('connection', (socket) => {
  const connection = traceAccepted(lab, socket, `conn-${connections.length + 1}`, 'tcp');
  connections.push(connection);
  const frames = new FrameReader(1024);
  socket.on('data', (chunk: Buffer) => {
    try {
      for (const hello of frames.push(chunk)) lab.note(`${connection.remote} says: ${hello.toString()}`);
    } catch (error) {
      lab.emit('io.error', { op: 'read', channel: connection.channel, code: 'EBADMSG', message: `${(error as Error).message}; closing this connection, the server keeps serving others` });
      socket.destroy();
    }
  });
});

const children = [];
for (let i = 1; i <= clients; i++) children.push(lab.spawn('client', 'tcp-client.ts', { params: { ...lab.params, port, client: i } }));
await Promise.all(children.map((c) => c.exited));
await Promise.all(connections.map((c) => c.closed));
lab.measure('connections accepted', connections.length, 'connections');
server.close();
