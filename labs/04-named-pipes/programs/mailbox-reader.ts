/**
 * The reader of the "lifetime" scenario. It reads only the first message, then closes its end and
 * exits, leaving the others unread in the FIFO.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { MESSAGE_BYTES } from './mailbox.js';

const fd = lab.open(lab.fifoPath('mailbox'), 'mailbox', 'read');
const first = lab.readFull(fd, 'mailbox', MESSAGE_BYTES);
lab.emit('message.receive', { channel: 'mailbox', messageId: 1, bytes: first.length, text: first.toString('utf8').trimEnd() });
lab.note('read one message; closing and exiting without reading the rest');
lab.close(fd, 'mailbox', 'read');
