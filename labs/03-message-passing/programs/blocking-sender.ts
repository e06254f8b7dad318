/**
 * The sender of the "blocking" scenario: it waits, sends its first message(s) (the receiver is blocked
 * waiting for the first), pauses, then fills the mailbox with non-blocking sends: as many as it holds,
 * and, with `fillBeyond`, one more, which fails with EAGAIN instead of waiting (mq_send(3)).
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { messageText, openMailbox } from './mailboxes.js';

const box = openMailbox('box');
lab.sleep(lab.int('senderDelayMs'));
// The receiver has been waiting in mq_receive meanwhile (if it had started): the kernel view now shows it.
lab.snapshot('the sender is about to send its first message');
let id = 0;
for (let k = 0; k < lab.int('firstMessages'); k++) {
  const text = messageText(++id, id === 1 ? 'the first message' : `message ${id}, sent at once`);
  lab.emit('message.send', { channel: 'mailbox box', messageId: id, bytes: Buffer.byteLength(text), text });
  box.send(text);
}

lab.sleep(500);
// The receiver sleeps meanwhile, so these sends wake nobody: each is traced once the kernel took it.
const sends = box.capacity + (lab.bool('fillBeyond') ? 1 : 0);
for (let k = 1; k <= sends; k++) {
  const text = messageText(++id, `non-blocking send ${k}`);
  if (!box.send(text, { block: false })) {
    lab.note(`send ${k} did not wait: the mailbox is full (${box.capacity} messages), EAGAIN`);
    break;
  }
  lab.emit('message.send', { channel: 'mailbox box', messageId: id, bytes: Buffer.byteLength(text), text });
}
box.close();
