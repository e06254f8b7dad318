/**
 * The receiver of the "blocking" scenario.
 *   1. A blocking receive on the empty mailbox: it waits until the sender sends.
 *   2. A non-blocking receive on the empty mailbox: it returns at once with nothing, the "null
 *      message", and this program decides what to do instead (here: say so, and go on).
 *   3. It pauses while the sender fills the mailbox, then takes everything there is.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { createMailbox, messageId } from './mailboxes.js';

const box = createMailbox('box', lab.int('capacity'));

const first = box.receive({ block: true })!.toString('utf8');
lab.emit('message.receive', { channel: 'mailbox box', messageId: messageId(first), bytes: Buffer.byteLength(first), text: first });

const nothing = box.receive({ block: false });
lab.note(nothing === null ? 'non-blocking receive: no message (the null message); doing something else instead' : 'non-blocking receive found a message');

lab.sleep(1000);
for (let message = box.receive({ block: false }); message !== null; message = box.receive({ block: false })) {
  const text = message.toString('utf8');
  lab.emit('message.receive', { channel: 'mailbox box', messageId: messageId(text), bytes: message.length, text });
}
box.close();
box.unlink();
