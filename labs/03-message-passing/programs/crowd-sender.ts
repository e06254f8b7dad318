/**
 * The sender of the "receivers" scenario: one mailbox, several receivers. It sends its messages, then
 * one END per receiver so that each of them stops.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { createMailbox, sendTraced } from './mailboxes.js';

const receivers = lab.int('receivers');
const box = createMailbox('shared', 10);
const children = Array.from({ length: receivers }, () => lab.spawn('receiver', 'crowd-receiver.ts'));
for (let id = 1; id <= lab.int('messages'); id++) sendTraced(box, 'mailbox shared', id, `job ${id}`);
for (let i = 0; i < receivers; i++) box.send('END');
await Promise.all(children.map((child) => child.exited));
box.close();
box.unlink();
