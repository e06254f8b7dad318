/**
 * The server of the "small-writes" scenario: it answers requests over TCP. A request is a message
 * (4-byte length, then the body); the server reads the whole of it, then sends a short answer in one
 * write. It cannot answer a request before its body has arrived, so it says nothing meanwhile, and
 * TCP on its side has nothing to carry its acknowledgement with: the kernel delays the ACK a little,
 * hoping to send it along with data (delayed ACK, up to 40 ms on Linux).
 */
import type { Socket } from 'node:net';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { listen, traceAccepted } from '../../../main/runtime/sockets/traced-socket.js';
import { frame, FrameInbox } from '../../../main/runtime/sockets/framing.js';

const { server, address } = await listen(lab, { host: '127.0.0.1', port: 0 }, { channel: 'requests' }).catch(() => process.exit(1));
let served = 0;
server.on('connection', (socket: Socket) => {
  const connection = traceAccepted(lab, socket, `requests-${++served}`, 'tcp');
  const inbox = new FrameInbox(socket);
  void (async () => {
    try {
      for (let request = await inbox.next(); request !== undefined; request = await inbox.next()) socket.write(frame(Buffer.from(`ok ${request.length}`)));
    } catch (error) {
      lab.emit('io.error', { op: 'read', channel: connection.channel, code: 'EBADMSG', message: `${(error as Error).message}; closing this connection` });
    }
    socket.end();
  })();
});

const client = lab.spawn('client', 'request-client.ts', { params: { ...lab.params, tcpAddress: address } });
await client.exited;
server.close();
