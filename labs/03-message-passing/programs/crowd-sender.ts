/**
 * The sender of the "receivers" scenario: one mailbox, several receivers. It waits until every
 * receiver has said "ready" on a second mailbox (so that none of them starts late and misses the
 * messages), sends its messages, then one END per receiver so that each of them stops. With
 * "one per receiver", every message goes to each receiver's own mailbox instead: a copy for each.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { createMailbox, sendTraced } from './mailboxes.js';

const receivers = lab.int('receivers');
// One shared mailbox, or (to compare) one per receiver with a copy of every message in each.
const perReceiver = lab.choice('mailboxes') === 'one per receiver';
const names = perReceiver ? Array.from({ length: receivers }, (_, i) => `shared-${i + 1}`) : ['shared'];
const boxes = names.map((name) => createMailbox(name, 10));
const ready = createMailbox('ready', receivers, 16);
const children = Array.from({ length: receivers }, (_, i) =>
  lab.spawn('receiver', 'crowd-receiver.ts', { params: { ...lab.params, mailbox: names[perReceiver ? i : 0]! } }),
);
for (let i = 0; i < receivers; i++) ready.receive();
lab.note(`all ${receivers} receivers are ready`);
for (let id = 1; id <= lab.int('messages'); id++) boxes.forEach((box, i) => sendTraced(box, `mailbox ${names[i]}`, id, `job ${id}`));
for (let i = 0; i < receivers; i++) boxes[perReceiver ? i : 0]!.send('END');
await Promise.all(children.map((child) => child.exited));
ready.close();
ready.unlink();
for (const box of boxes) {
  box.close();
  box.unlink();
}
