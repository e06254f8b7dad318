/**
 * The server of the "small-writes" scenario: it answers requests over TCP. A connection starts with one
 * message naming the client's variant; then each request is a message (4-byte length, then the body).
 * The server reads the whole of it, then sends a short answer in one write. It cannot answer a request
 * before its body has arrived, so it says nothing meanwhile, and TCP on its side has no data to carry
 * its acknowledgement with: the kernel delays the ACK, hoping to send it along with data (delayed ACK:
 * at least TCP_DELACK_MIN, 40 ms, at most TCP_DELACK_MAX, 200 ms; include/net/tcp.h, tcp(7)
 * TCP_QUICKACK). On the loopback it stays near the 40 ms minimum.
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
      const variant = (await inbox.next())?.toString().replace(/^variant /, '') ?? '?';
      let n = 0;
      for (let request = await inbox.next(); request !== undefined; request = await inbox.next()) {
        n++;
        lab.emit('message.receive', { channel: `requests-${variant}`, messageId: n, bytes: request.length + 4 });
        const answer = `ok ${request.length}`;
        lab.emit('message.send', { channel: `answers-${variant}`, messageId: n, bytes: answer.length + 4, text: answer });
        lab.flush(); // stamped and sent before the write that wakes the client
        socket.write(frame(Buffer.from(answer)));
      }
    } catch (error) {
      lab.emit('io.error', { op: 'read', channel: connection.channel, code: 'EBADMSG', message: `${(error as Error).message}; closing this connection` });
    }
    socket.end();
  })();
});

const client = lab.spawn('client', 'request-client.ts', { params: { ...lab.params, tcpAddress: address } });
await client.exited;
server.close();
