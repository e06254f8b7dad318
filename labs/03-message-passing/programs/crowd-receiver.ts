/**
 * A receiver of the "receivers" scenario: takes messages from the shared mailbox until it gets END,
 * spending a few milliseconds on each.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { messageId, openMailbox } from './mailboxes.js';

const box = openMailbox('shared');
for (;;) {
  const text = box.receive()!.toString('utf8');
  if (text === 'END') break;
  lab.emit('message.receive', { channel: 'mailbox shared', messageId: messageId(text), bytes: Buffer.byteLength(text), text });
  lab.sleep(5);
}
box.close();
