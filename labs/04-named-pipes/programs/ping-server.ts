/**
 * The server of the "conversation" scenario. A FIFO carries bytes one way: whatever one process
 * writes, another reads. For a conversation the server makes two:
 *
 *   to-server.fifo   the client writes pings, the server reads them
 *   to-client.fifo   the server writes pongs, the client reads them
 *
 * Both sides open the FIFOs in the same order (to-server first, then to-client). Each open waits for
 * the other side's open of the same FIFO, so the opposite order on one side would leave both waiting
 * for ever.
 */
import { unlinkSync } from 'node:fs';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { LineReader } from './line-reader.js';

const toServerPath = lab.mkfifo('to-server');
const toClientPath = lab.mkfifo('to-client');

const requests = lab.open(toServerPath, 'to-server', 'read');
const replies = lab.open(toClientPath, 'to-client', 'write');

const lines = new LineReader(requests, 'to-server');
let seq = 0;
for (let ping = lines.next(); ping !== undefined; ping = lines.next()) {
  lab.emit('message.receive', { channel: 'to-server', messageId: ++seq, bytes: Buffer.byteLength(ping) + 1, text: ping });
  const pong = ping.replace(/^ping/, 'pong');
  const bytes = lab.write(replies, 'to-client', Buffer.from(pong + '\n'));
  lab.emit('message.send', { channel: 'to-client', messageId: seq, bytes, text: pong });
}
lab.note(`end of file on to-server after ${seq} pings: the client is done`);
lab.close(requests, 'to-server', 'read');
lab.close(replies, 'to-client', 'write');
unlinkSync(toServerPath);
unlinkSync(toClientPath);
lab.note('unlinked both FIFOs');
