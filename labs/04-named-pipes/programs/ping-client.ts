/**
 * The client of the "conversation" scenario. It finds the server's two FIFOs by their paths, opens
 * to-server for writing and to-client for reading (in the server's order), then sends each ping on one
 * FIFO and waits for its pong on the other.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { waitForFifo } from './find-fifo.js';
import { LineReader } from './line-reader.js';

const pings = lab.int('pings');
const delayMs = lab.int('pingDelayMs');

const toServerPath = waitForFifo('to-server');
const toClientPath = waitForFifo('to-client');
const requests = lab.open(toServerPath, 'to-server', 'write');
const replies = lab.open(toClientPath, 'to-client', 'read');

const lines = new LineReader(replies, 'to-client');
for (let seq = 1; seq <= pings; seq++) {
  const ping = `ping ${seq} from pid ${process.pid}`;
  const bytes = lab.write(requests, 'to-server', Buffer.from(ping + '\n'));
  lab.emit('message.send', { channel: 'to-server', messageId: seq, bytes, text: ping });
  const pong = lines.next();
  if (pong === undefined) throw new Error('the server closed to-client before answering');
  lab.emit('message.receive', { channel: 'to-client', messageId: seq, bytes: Buffer.byteLength(pong) + 1, text: pong });
  if (seq < pings) lab.sleep(delayMs);
}
lab.close(requests, 'to-server', 'write');
lab.close(replies, 'to-client', 'read');
