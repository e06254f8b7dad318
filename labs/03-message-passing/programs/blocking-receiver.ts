/**
 * The receiver of the "blocking" scenario.
 *   1. A blocking receive on the empty mailbox: it waits until the sender sends.
 *   2. 100 ms later, a non-blocking receive: on the empty mailbox it returns at once with nothing, the "null
 *      message" (mq_receive fails with EAGAIN), and this program decides what to do instead (here: say
 *      so, and go on). If the sender sent more than one message first, it gets the next one instead.
 *   3. It pauses while the sender fills the mailbox, then takes as many messages as mq_getattr says
 *      are queued (so that the only EAGAIN of this process is the one of step 2).
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { createMailbox, messageId } from './mailboxes.js';

const box = createMailbox('box', lab.int('capacity'));
const traceReceive = (message: Buffer) => {
  const text = message.toString('utf8');
  lab.emit('message.receive', { channel: 'mailbox box', messageId: messageId(text), bytes: message.length, text });
};

traceReceive(box.receive({ block: true })!);
lab.sleep(100); // it spends a moment on that message: a second one sent at once would be there now

const next = box.receive({ block: false });
if (next === null) lab.note('non-blocking receive: no message (the null message); doing something else instead');
else {
  lab.note('non-blocking receive found a message waiting');
  traceReceive(next);
}

lab.sleep(1000);
for (let queued = box.depth; queued > 0; queued--) traceReceive(box.receive({ block: false })!);
box.close();
box.unlink();
