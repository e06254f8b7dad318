/**
 * A sender of the "fragments" scenario (sender-1, sender-2): sends `messages` messages of
 * `messageBytes` bytes each to the mailbox "parts", whose messages are at most `mailboxBytes` long.
 * With `fragment` on, each goes as fragments with a header (fragments.ts); off, whole, and the kernel
 * refuses it with EMSGSIZE (mq_send(3)) rather than cut it.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { describe, fragmentsOf, lastWord, messageContent } from './fragments.js';
import { openMailbox } from './mailboxes.js';

const me = Number(lab.role.replace('sender-', ''));
const box = openMailbox('parts');
const channel = 'mailbox parts';

/** One mq_send, traced as a write: io.end with the bytes the kernel took, or io.error with its errno. */
function sendTraced(bytes: Buffer): void {
  lab.emit('io.begin', { op: 'write', channel, bytes: bytes.length });
  const start = process.hrtime.bigint();
  try {
    box.send(bytes);
    lab.emit('io.end', { op: 'write', channel, bytes: bytes.length, durationNs: (process.hrtime.bigint() - start).toString() });
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    lab.emit('io.error', { op: 'write', channel, code: err.code ?? 'EUNKNOWN', message: err.message });
  }
}

for (let k = 1; k <= lab.int('messages'); k++) {
  const id = me * 1000 + k;
  const message = messageContent(id, lab.int('messageBytes'));
  lab.emit('message.send', { channel, messageId: id, bytes: message.length, text: describe(id, message) });
  if (lab.bool('fragment')) for (const fragment of fragmentsOf(id, message, box.messageBytes)) sendTraced(fragment);
  else sendTraced(message);
}
box.send(lastWord(me * 1000));
box.close();
