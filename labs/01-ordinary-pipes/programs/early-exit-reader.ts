/**
 * The child of the "early-exit" scenario: it reads until it has seen `readerReads` messages, then
 * closes the read end and exits without reading the rest.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';

const fd = lab.fd('pipe');
const wanted = lab.int('readerReads');
const buffer = Buffer.alloc(4096);
let partial = '';
let seq = 0;
while (seq < wanted) {
  const bytes = lab.read(fd, 'pipe', buffer);
  if (bytes === 0) break;
  partial += buffer.toString('utf8', 0, bytes);
  let newline: number;
  while (seq < wanted && (newline = partial.indexOf('\n')) >= 0) {
    const text = partial.slice(0, newline);
    partial = partial.slice(newline + 1);
    lab.emit('message.receive', { channel: 'pipe', messageId: ++seq, bytes: Buffer.byteLength(text) + 1, text });
  }
}
lab.note(`read ${seq} messages; closing the read end and exiting early`);
lab.close(fd, 'pipe', 'read');
