/**
 * Step 2's receiver: it reads every 4-byte message as XDR says, an unsigned int in big-endian order.
 * It cannot know how the sender laid the bytes out: the bytes carry no type and no byte order. So a
 * number sent in little-endian order is read with its bytes reversed.
 */
import { createServer } from 'node:net';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { RecordReader } from '../../../main/runtime/rpc/record-marking.js';
import { wireFields } from '../../../main/runtime/rpc/message.js';
import { publishPort } from './rendezvous-file.js';

const server = createServer((socket) => {
  lab.emit('socket.accept', {
    channel: 'numbers',
    transport: 'tcp',
    local: `${socket.localAddress}:${socket.localPort}`,
    remote: `${socket.remoteAddress}:${socket.remotePort}`,
  });
  const records = new RecordReader(64);
  let messageId = 0;
  socket.on('data', (chunk: Buffer) => {
    for (const message of records.push(chunk)) {
      const wire = wireFields(message, { kind: 'struct', fields: [['value', { kind: 'uint' }]] });
      lab.emit('message.bytes', {
        channel: 'numbers',
        messageId: ++messageId,
        direction: 'receive',
        bytes: message.length + 4,
        encoding: 'read as xdr (big-endian)',
        ...wire,
      });
      const value = message.length === 4 ? message.readUInt32BE(0) : NaN;
      lab.emit('message.receive', { channel: 'numbers', messageId, bytes: message.length + 4, text: String(value) });
    }
  });
  socket.on('close', () => server.close());
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  lab.emit('socket.listen', { channel: 'numbers', transport: 'tcp', address: `127.0.0.1:${port}` });
  publishPort('receiver', port);
});
