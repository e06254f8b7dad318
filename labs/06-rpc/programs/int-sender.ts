/**
 * Step 2: the same unsigned integer sent twice to a receiver that reads XDR (big-endian): once as
 * this machine stores it in memory (its *native* order: little-endian on x86 and most ARM), once
 * marshalled with XDR. Each message is record-marked on a TCP connection; the bytes of both are traced.
 */
import { connect } from 'node:net';
import { endianness } from 'node:os';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { frameRecord } from '../../../main/runtime/rpc/record-marking.js';
import { wireFields } from '../../../main/runtime/rpc/message.js';
import { encode, hex } from '../../../main/runtime/rpc/xdr.js';
import { waitForPort } from './rendezvous-file.js';

const value = lab.int('value');
const sendNative = lab.bool('sendNative');
const order = endianness() === 'LE' ? 'little-endian' : 'big-endian';

const receiver = lab.spawn('receiver', 'int-receiver.ts');
try {
  const port = await waitForPort('receiver');
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.setNoDelay(true);
  lab.emit('socket.connect', { channel: 'numbers', transport: 'tcp', local: `${socket.localAddress}:${socket.localPort}`, remote: `127.0.0.1:${port}` });
  let messageId = 0;

  if (sendNative) {
    // What a C program does with write(fd, &n, 4): the bytes as they lie in memory.
    const native = Buffer.alloc(4);
    if (order === 'little-endian') native.writeUInt32LE(value);
    else native.writeUInt32BE(value);
    const wire = wireFields(native, undefined);
    wire.fields = wire.fields.map((f) =>
      f.offset === 0
        ? f
        : { path: 'value', type: `unsigned int, ${order} (this machine's order)`, offset: 4, length: 4, bytes: hex(native), value: String(value) },
    );
    lab.emit('message.send', { channel: 'numbers', messageId: ++messageId, bytes: 8, text: String(value) });
    lab.emit('message.bytes', { channel: 'numbers', messageId, direction: 'send', bytes: 8, encoding: `native (${order})`, ...wire });
    socket.write(frameRecord(native));
  }

  // The same number marshalled: XDR says big-endian, whatever the machine.
  const xdr = encode({ kind: 'uint' }, value);
  lab.emit('message.send', { channel: 'numbers', messageId: ++messageId, bytes: 8, text: String(value) });
  lab.emit('message.bytes', {
    channel: 'numbers',
    messageId,
    direction: 'send',
    bytes: 8,
    encoding: 'xdr',
    ...wireFields(xdr, { kind: 'struct', fields: [['value', { kind: 'uint' }]] }),
  });
  socket.write(frameRecord(xdr));
  socket.end();
  await new Promise((resolve) => socket.once('close', resolve));
} finally {
  await receiver.exited;
}
