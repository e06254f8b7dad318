/**
 * The receiver of the mailbox "inbox" (indirect naming): it creates the mailbox, then takes every
 * message the three senders send to it. The mailbox does not say who sent a message: the senders
 * write their names into the text.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { createMailbox, receiveTraced } from './mailboxes.js';

const inbox = createMailbox('inbox', 8);
const expected = 3 * lab.int('messages');
for (let received = 0; received < expected; received++) receiveTraced(inbox, 'mailbox inbox');
inbox.close();
inbox.unlink();
