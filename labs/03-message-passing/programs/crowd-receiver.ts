/**
 * A receiver of the "receivers" scenario: it says "ready" to the sender, then takes messages from the
 * mailbox the sender named (the shared one, or its own) until it gets END, spending a few
 * milliseconds on each.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { messageId, openMailbox } from './mailboxes.js';

// The sender names the mailbox: the shared one, or this receiver's own.
const name = lab.choice('mailbox');
const box = openMailbox(name);
const ready = openMailbox('ready');
ready.send('ready');
ready.close();
for (;;) {
  const text = box.receive()!.toString('utf8');
  if (text === 'END') break;
  lab.emit('message.receive', { channel: `mailbox ${name}`, messageId: messageId(text), bytes: Buffer.byteLength(text), text });
  lab.sleep(5);
}
box.close();
