/**
 * The receiver of the "fragments" scenario: creates the mailbox "parts" with messages of at most
 * `mailboxBytes` bytes, takes fragments from both senders as they come, and puts each message back
 * together by the id and index in the fragments' headers (fragments.ts). A message is delivered once
 * all of its fragments are in, whatever order the two senders' fragments arrived in.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { describe, parseFragment } from './fragments.js';
import { createMailbox } from './mailboxes.js';

const SENDERS = 2;
const channel = 'mailbox parts';
const box = createMailbox('parts', 10, lab.int('mailboxBytes'));
lab.measure('mq_msgsize', box.messageBytes, 'bytes', "mq_getattr: the mailbox's largest message");

const partial = new Map<number, Buffer[]>();
let finished = 0;
let lastId = -1;
let interleaved = 0;
while (finished < SENDERS) {
  lab.emit('io.begin', { op: 'read', channel });
  const start = process.hrtime.bigint();
  const bytes = box.receive()!;
  // The length mq_receive returned: the kernel's, one queue message at a time.
  lab.emit('io.end', { op: 'read', channel, bytes: bytes.length, durationNs: (process.hrtime.bigint() - start).toString() });
  const fragment = parseFragment(bytes);
  if (fragment.count === 0) {
    finished++;
    continue;
  }
  const parts = partial.get(fragment.id) ?? new Array<Buffer>(fragment.count);
  if (lastId !== -1 && lastId !== fragment.id && partial.has(lastId)) interleaved++;
  lastId = fragment.id;
  parts[fragment.index] = Buffer.from(fragment.data);
  partial.set(fragment.id, parts);
  if (parts.filter(Boolean).length === fragment.count) {
    partial.delete(fragment.id);
    const message = Buffer.concat(parts);
    lab.emit('message.receive', { channel, messageId: fragment.id, bytes: message.length, text: describe(fragment.id, message) });
  }
}
if (interleaved > 0) lab.note(`${interleaved} times a fragment of one message came between two of another: the ids kept them apart`);
if (partial.size > 0) lab.note(`${partial.size} messages were never completed`);
box.close();
box.unlink();
