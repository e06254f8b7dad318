/**
 * A sender to the mailbox "inbox" (indirect naming): it names the mailbox, not the receiver.
 * Its role ("sender-2") says which of the three it is. With `inboxes: per-sender` it sends to a
 * mailbox of its own, "inbox-2".
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { openMailbox, sendTraced } from './mailboxes.js';

const me = Number(lab.role.replace('sender-', ''));
const name = lab.choice('inboxes') === 'per-sender' ? `inbox-${me}` : 'inbox';
const inbox = openMailbox(name);
// While this sender holds the mailbox (and the receiver, its creator, too): the kernel view shows both.
lab.snapshot(`${lab.role} has opened the mailbox`);
for (let k = 1; k <= lab.int('messages'); k++) sendTraced(inbox, `mailbox ${name}`, me * 1000 + k, `from ${lab.role}, message ${k}`);
inbox.close();
