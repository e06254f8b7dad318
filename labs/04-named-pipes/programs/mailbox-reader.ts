/**
 * The reader of the "lifetime" scenario. It reads `reads` messages (the first one only, by default),
 * then closes its end and exits, leaving the others unread in the FIFO. With `readerUnlinks` it also
 * removes the FIFO's name before it goes.
 */
import { unlinkSync } from 'node:fs';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { MESSAGE_BYTES } from './mailbox.js';

const path = lab.fifoPath('mailbox');
const fd = lab.open(path, 'mailbox', 'read');
lab.traceFill(fd); // the FIFO's level after each read, from the kernel (FIONREAD)
const reads = lab.int('reads');
let read = 0;
while (read < reads) {
  const message = lab.readFull(fd, 'mailbox', MESSAGE_BYTES);
  if (message.length < MESSAGE_BYTES) break; // end of file: the writer is gone and nothing is left
  read++;
  lab.emit('message.receive', { channel: 'mailbox', messageId: read, bytes: message.length, text: message.toString('utf8').trimEnd() });
}
lab.note(`read ${read} messages; closing and exiting without reading any more`);
lab.close(fd, 'mailbox', 'read');
if (lab.bool('readerUnlinks')) {
  unlinkSync(path);
  lab.note(`unlink("${path}"): the name is gone`);
}
