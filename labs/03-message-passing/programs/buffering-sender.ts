/**
 * The sender of the "buffering" scenario. It reads the kernel's limits for message queues, starts the
 * receiver, and sends its messages through
 *   bounded:   a mailbox of `capacity` messages: send waits while it is full;
 *   unbounded: a mailbox as large as the kernel allows (msg_max): send never waits for these few;
 *   zero:      a rendezvous: send returns only once the receiver has taken the message.
 */
import { readFileSync } from 'node:fs';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { Rendezvous } from '../../../main/runtime/message-passing/rendezvous.js';
import { createMailbox, MESSAGE_BYTES, messageText } from './mailboxes.js';

function limit(name: string): number {
  const value = Number(readFileSync(`/proc/sys/fs/mqueue/${name}`, 'utf8').trim());
  lab.measure(name, value, name === 'msgsize_max' ? 'bytes' : name === 'msg_max' ? 'messages per queue' : 'queues', `/proc/sys/fs/mqueue/${name}`);
  return value;
}
const msgMax = limit('msg_max');
limit('msgsize_max');
limit('queues_max');

const buffering = lab.choice('buffering');
const messages = lab.int('messages');
const channel = buffering === 'zero' ? 'rendezvous' : 'mailbox link';

let send: (text: string) => void;
let finish: () => void;
if (buffering === 'zero') {
  const rendezvous = Rendezvous.create(lab.mqName('data'), { messageBytes: MESSAGE_BYTES, tracer: lab, channel });
  lab.emit('object.create', { channel, object: { type: 'mqueue', name: lab.mqName('data') }, detail: 'the message, capacity 1' });
  lab.emit('object.create', { channel, object: { type: 'mqueue', name: Rendezvous.ackName(lab.mqName('data')) }, detail: 'the acknowledgement' });
  send = (text) => rendezvous.send(text);
  finish = () => rendezvous.close();
} else {
  const capacity = buffering === 'bounded' ? lab.int('capacity') : msgMax;
  const mailbox = createMailbox('link', capacity);
  send = (text) => void mailbox.send(text);
  finish = () => mailbox.close();
}

const receiver = lab.spawn('receiver', 'buffering-receiver.ts');
for (let id = 1; id <= messages; id++) {
  const text = messageText(id, `message ${id} of ${messages}`);
  lab.emit('message.send', { channel, messageId: id, bytes: Buffer.byteLength(text), text });
  send(text);
}
await receiver.exited;
finish();
