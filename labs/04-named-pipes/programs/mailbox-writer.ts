/**
 * The writer of the "lifetime" scenario. It opens the mailbox FIFO for writing, puts all its
 * messages into it with one write(), closes its end and exits.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { MESSAGE_BYTES, message } from './mailbox.js';

const messages = lab.int('messages');
const fd = lab.open(lab.fifoPath('mailbox'), 'mailbox', 'write');
lab.traceFill(fd); // the FIFO's level after the write, from the kernel (FIONREAD)
const texts = Array.from({ length: messages }, (_, i) => message(i + 1, messages));
// Traced before the write, which wakes the reader.
texts.forEach((text, i) => lab.emit('message.send', { channel: 'mailbox', messageId: i + 1, bytes: MESSAGE_BYTES, text: text.trimEnd() }));
lab.write(fd, 'mailbox', Buffer.from(texts.join('')));
lab.close(fd, 'mailbox', 'write');
