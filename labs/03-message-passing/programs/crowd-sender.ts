/**
 * The sender of the "receivers" scenario: one mailbox, several receivers. It waits until every
 * receiver has said "ready" on a second mailbox (so that none of them starts late and misses the
 * messages), sends its messages, then one END per receiver so that each of them stops.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { createMailbox, sendTraced } from './mailboxes.js';

const receivers = lab.int('receivers');
const box = createMailbox('shared', 10);
const ready = createMailbox('ready', receivers, 16);
const children = Array.from({ length: receivers }, () => lab.spawn('receiver', 'crowd-receiver.ts'));
for (let i = 0; i < receivers; i++) ready.receive();
lab.note(`all ${receivers} receivers are ready`);
for (let id = 1; id <= lab.int('messages'); id++) sendTraced(box, 'mailbox shared', id, `job ${id}`);
for (let i = 0; i < receivers; i++) box.send('END');
await Promise.all(children.map((child) => child.exited));
ready.close();
ready.unlink();
box.close();
box.unlink();
