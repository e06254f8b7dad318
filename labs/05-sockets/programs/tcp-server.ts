/**
 * The server of the "connections" scenario: socket(), bind(127.0.0.1:port), listen(), then accept()
 * once per client. It starts the clients itself, once it listens, so that none knocks too early.
 *
 * Each accepted connection is a new socket: the listening one stays in LISTEN and keeps accepting,
 * and each connection's socket is ESTABLISHED, named by the pair (server address, client address).
 *
 * Once every client has said hello (or failed), the server tells them all "bye": by then it has
 * accepted every connection. Each client then asks the engine for the kernel's view (lab.snapshot:
 * every process's descriptors in /proc and the kernel's table /proc/net/tcp) before it hangs up, or
 * after, as `look` says. A client asks itself because the engine samples only the processes whose
 * trace it has already read: the asking one, surely; a peer, only probably.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { listen, traceAccepted, type TracedConnection } from '../../../main/runtime/sockets/traced-socket.js';
import { frame, FrameReader } from '../../../main/runtime/sockets/framing.js';
import { ephemeralPortRange } from './ephemeral-ports.js';

const clients = lab.int('clients');
const range = ephemeralPortRange();
if (range) {
  lab.measure('ephemeral port range low', range.low, 'port', '/proc/sys/net/ipv4/ip_local_port_range');
  lab.measure('ephemeral port range high', range.high, 'port', '/proc/sys/net/ipv4/ip_local_port_range');
  lab.note(`clients get their port from ${range.low}–${range.high} (/proc/sys/net/ipv4/ip_local_port_range): ${range.high - range.low + 1} ephemeral ports`);
}

// On failure listen() has traced the errno and its fix (EADDRINUSE: another process holds the port).
const { server, address } = await listen(
  lab,
  { host: '127.0.0.1', port: lab.int('port') },
  { channel: 'listen', detail: 'the listening socket: it only accepts, it carries no data' },
).catch(() => process.exit(1));
const port = Number(address.slice(address.lastIndexOf(':') + 1));
if (lab.int('port') === 0) lab.note(`port 0 asks the kernel for any free port: it gave ${port}`);

const connections: TracedConnection[] = [];
/** Clients accounted for: said hello, or exited without (their connect failed). */
let settled = 0;
let allSettled: () => void = () => {};
const everyClientSettled = new Promise<void>((resolve) => (allSettled = resolve));
const settle = () => {
  if (++settled === clients) allSettled();
};

server.on('connection', (socket) => {
  const connection = traceAccepted(lab, socket, `conn-${connections.length + 1}`, 'tcp');
  connections.push(connection);
  const frames = new FrameReader(1024);
  let greeted = false;
  socket.on('data', (chunk: Buffer) => {
    try {
      for (const hello of frames.push(chunk)) {
        lab.note(`${connection.remote} says: ${hello.toString()}`);
        if (!greeted && /^hello from client \d+/.test(hello.toString())) {
          greeted = true;
          settle();
        }
      }
    } catch (error) {
      lab.emit('io.error', {
        op: 'read',
        channel: connection.channel,
        code: 'EBADMSG',
        message: `${(error as Error).message}; closing this connection, the server keeps serving others`,
      });
      socket.destroy();
    }
  });
});

const children = [];
for (let i = 1; i <= clients; i++) {
  const child = lab.spawn('client', 'tcp-client.ts', { params: { ...lab.params, port, client: i } });
  void child.exited.then((exit) => {
    if (exit.code !== 0) settle(); // it never said hello: its connect failed (see its lane)
  });
  children.push(child);
}
await everyClientSettled;

for (const c of connections) if (!c.socket.destroyed) c.socket.write(frame(Buffer.from('bye')));
await Promise.all(children.map((c) => c.exited));
await Promise.all(connections.map((c) => c.closed));
lab.measure('connections accepted', connections.length, 'connections');
server.close();
