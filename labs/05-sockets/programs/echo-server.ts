/**
 * The server of the "transports" scenario: one echo service, offered on two transports at once.
 *
 *   unix  a Unix domain socket, bound to the path echo.sock in the run's directory
 *   tcp   TCP on the loopback, 127.0.0.1 and a port the kernel picks
 *
 * The code that serves a connection (`serve`) does not know which transport it got: a connected
 * stream socket is a stream socket. Only the address differs. Each connection starts with one message
 * saying what it wants:
 *   "echo"  every following message is sent back unchanged (ping-pong);
 *   "sink"  the following messages are a byte stream to check, ended by an empty message; the reply
 *           says how many bytes arrived and whether every one was right (throughput).
 *   "native-echo N B" / "native-sink T"  the same in C (main/runtime/native-loops.ts): the server
 *           answers "go", then its pongLoop echoes N messages of B bytes, or its readLoop reads T bytes
 *           and the reply says how many came and when the last read returned (CLOCK_MONOTONIC ns).
 *           While a loop runs, this process does nothing else: the client uses one connection at a time.
 */
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { listen, traceAccepted, type TracedConnection } from '../../../main/runtime/sockets/traced-socket.js';
import { checkPattern, frame, FrameInbox } from '../../../main/runtime/sockets/framing.js';
import type { SocketTransport } from '../../../main/contract/trace-events.js';
import { pongLoop, readLoop } from '../../../main/runtime/native-loops.js';

const which = lab.choice('transports');
const transports: SocketTransport[] = which === 'both' ? ['unix', 'tcp'] : [which as SocketTransport];
const connections: TracedConnection[] = [];

async function serve(socket: Socket, transport: SocketTransport, path?: string): Promise<void> {
  const connection = traceAccepted(lab, socket, `${transport}-${connections.length + 1}`, transport, path);
  connections.push(connection);
  const inbox = new FrameInbox(socket, 1024 * 1024);
  try {
    const mode = (await inbox.next())?.toString();
    if (mode === 'echo') {
      for (let m = await inbox.next(); m !== undefined; m = await inbox.next()) socket.write(frame(m));
    } else if (mode === 'sink') {
      let received = 0;
      let badAt = -1;
      for (let m = await inbox.next(); m !== undefined && m.length > 0; m = await inbox.next()) {
        const bad = checkPattern(m, received);
        if (bad >= 0 && badAt < 0) badAt = received + bad;
        received += m.length;
      }
      socket.write(frame(Buffer.from(JSON.stringify({ received, badAt }))));
    } else if (mode?.startsWith('native-')) {
      await nativeServe(socket, inbox, mode);
    } else {
      lab.emit('io.error', {
        op: 'read',
        channel: connection.channel,
        code: 'EPROTO',
        message: `the first message was ${JSON.stringify(mode)}, not "echo" or "sink": closing this connection`,
      });
    }
  } catch (error) {
    lab.emit('io.error', {
      op: 'read',
      channel: connection.channel,
      code: (error as NodeJS.ErrnoException).code ?? 'EBADMSG',
      message: `${(error as Error).message}; closing this connection, the server keeps serving others`,
    });
  }
  socket.end();
}

/** "go" (flushed, so nothing of Node's is queued on the socket), then one C loop on its descriptor. */
async function nativeServe(socket: Socket, inbox: FrameInbox, mode: string): Promise<void> {
  const [what, first, second] = mode.split(' ');
  await new Promise<void>((resolve, reject) => socket.write(frame(Buffer.from('go')), (error) => (error ? reject(error) : resolve())));
  if (what === 'native-echo') {
    pongLoop(socket, socket, Number(first), Number(second));
  } else {
    const read = readLoop(socket, Number(first), 64 * 1024);
    socket.write(frame(Buffer.from(JSON.stringify({ received: read.bytes, endNs: String(read.endNs) }))));
  }
  while ((await inbox.next()) !== undefined); // the client's end of file
}

const addresses: Record<string, string> = {};
const servers = [];
for (const transport of transports) {
  const where = transport === 'unix' ? { path: join(lab.runDir, 'echo.sock') } : { host: '127.0.0.1', port: 0 };
  const { server, address } = await listen(lab, where, { channel: `${transport}-listen` }).catch(() => process.exit(1));
  server.on('connection', (socket: Socket) => void serve(socket, transport, transport === 'unix' ? address : undefined));
  addresses[transport] = address;
  servers.push(server);
}

const client = lab.spawn('client', 'echo-client.ts', { params: { ...lab.params, unixPath: addresses.unix ?? '', tcpAddress: addresses.tcp ?? '' } });
await client.exited;
await Promise.all(connections.map((c) => c.closed));
for (const server of servers) server.close(); // for a Unix socket, close() also unlinks echo.sock
