/**
 * The receiver of the "buffering" scenario: it takes one message every `receiverDelayMs`.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { Rendezvous } from '../../../main/runtime/message-passing/rendezvous.js';
import { Mailbox } from '../../../main/runtime/message-passing/mailbox.js';
import { messageId } from './mailboxes.js';

const zero = lab.choice('buffering') === 'zero';
const channel = zero ? 'rendezvous' : 'mailbox link';
let receive: () => Buffer;
let finish: () => void;
if (zero) {
  const rendezvous = Rendezvous.open(lab.mqName('data'), { tracer: lab, channel });
  receive = () => rendezvous.receive();
  finish = () => rendezvous.unlink();
} else {
  const mailbox = Mailbox.open(lab.mqName('link'), { tracer: lab, channel });
  receive = () => mailbox.receive()!;
  finish = () => mailbox.unlink();
}

for (let k = 0; k < lab.int('messages'); k++) {
  lab.sleep(lab.int('receiverDelayMs'));
  const text = receive().toString('utf8');
  lab.emit('message.receive', { channel, messageId: messageId(text), bytes: Buffer.byteLength(text), text });
}
finish();
