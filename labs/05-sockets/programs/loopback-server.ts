/**
 * The server of the "loopback" scenario. It binds the address the parameter names, on a port the
 * kernel picks, and starts a client that tries to reach it twice: at 127.0.0.1, and at another
 * address of this same machine.
 *
 *   127.0.0.1  the loopback: packets to it never leave the machine, and a socket bound to it accepts
 *              only connections addressed to 127.0.0.1.
 *   0.0.0.0    INADDR_ANY: every address of the machine, loopback and network interfaces alike.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { listen, traceAccepted, type TracedConnection } from '../../../main/runtime/sockets/traced-socket.js';

const bindAddress = lab.choice('bindAddress');
const detail = bindAddress === '0.0.0.0' ? 'bound to 0.0.0.0: every address of this machine' : 'bound to the loopback only';
const { server, address } = await listen(lab, { host: bindAddress, port: 0 }, { channel: 'listen', detail }).catch(() => process.exit(1));
const port = Number(address.slice(address.lastIndexOf(':') + 1));

const connections: TracedConnection[] = [];
server.on('connection', (socket) => {
  const connection = traceAccepted(lab, socket, `conn-${connections.length + 1}`, 'tcp');
  connections.push(connection);
  socket.resume();
});

const client = lab.spawn('client', 'loopback-client.ts', { params: { ...lab.params, port } });
await client.exited;
await Promise.all(connections.map((c) => c.closed));
server.close();
