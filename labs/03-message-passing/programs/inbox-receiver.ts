/**
 * The receiver of the mailbox "inbox" (indirect naming): it creates the mailbox, then takes every
 * message the three senders send to it. The mailbox does not say who sent a message: the senders
 * write their names into the text.
 *
 * With `inboxes: per-sender` each sender has a mailbox of its own instead ("inbox-1", ...): then the
 * receiver must know every sender and ask each in turn, which is direct naming again.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { createMailbox, receiveTraced } from './mailboxes.js';

const perSender = lab.choice('inboxes') === 'per-sender';
const names = perSender ? ['inbox-1', 'inbox-2', 'inbox-3'] : ['inbox'];
const boxes = names.map((name) => createMailbox(name, 8));
const each = (3 * lab.int('messages')) / boxes.length;
boxes.forEach((box, i) => {
  for (let received = 0; received < each; received++) receiveTraced(box, `mailbox ${names[i]}`);
});
for (const box of boxes) {
  box.close();
  box.unlink();
}
