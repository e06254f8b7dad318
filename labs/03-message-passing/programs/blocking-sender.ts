/**
 * The sender of the "blocking" scenario: it waits, sends one message (the receiver is blocked waiting
 * for it), pauses, then fills the mailbox with non-blocking sends, one more than it holds: the last one
 * fails with EAGAIN instead of waiting.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { messageText, openMailbox } from './mailboxes.js';

const box = openMailbox('box');
lab.sleep(lab.int('senderDelayMs'));
// The receiver has been waiting in mq_receive meanwhile (if it had started): the kernel view now shows it.
lab.snapshot('the sender is about to send its first message');
const first = messageText(1, 'the first message');
lab.emit('message.send', { channel: 'mailbox box', messageId: 1, bytes: Buffer.byteLength(first), text: first });
box.send(first);

lab.sleep(300);
for (let id = 2; id <= lab.int('capacity') + 2; id++) {
  const text = messageText(id, `non-blocking send ${id - 1}`);
  if (!box.send(text, { block: false })) {
    lab.note(`send ${id - 1} did not wait: the mailbox is full (${box.capacity} messages), EAGAIN`);
    break;
  }
  lab.emit('message.send', { channel: 'mailbox box', messageId: id, bytes: Buffer.byteLength(text), text });
}
box.close();
