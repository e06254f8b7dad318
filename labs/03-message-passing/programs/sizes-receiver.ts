/**
 * The receiver of the "sizes" scenario: for each of the two rounds, what mq_receive returned — how many
 * messages, how many bytes, the shortest and the longest message — and how long the round took.
 * mq_receive returns the length of the one message it took: the kernel keeps each message's own size.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { Mailbox } from '../../../main/runtime/message-passing/mailbox.js';
import { END } from './records.js';

const box = Mailbox.open(lab.mqName('records'), { tracer: lab, channel: 'mailbox records' });
// mq_getattr: the size the creator gave the queue.
lab.measure('mq_msgsize', box.messageBytes, 'bytes', 'mq_getattr: the largest message this mailbox takes');
for (const round of ['fixed', 'variable']) {
  let messages = 0;
  let bytes = 0;
  let shortest = Infinity;
  let longest = 0;
  let start = 0n;
  for (;;) {
    const message = box.receive()!;
    if (start === 0n) start = process.hrtime.bigint();
    if (message.toString('utf8') === END) break;
    messages++;
    bytes += message.length;
    shortest = Math.min(shortest, message.length);
    longest = Math.max(longest, message.length);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  lab.measure(`${round}: messages`, messages, 'messages');
  lab.measure(`${round}: bytes`, bytes, 'bytes', 'the lengths mq_receive returned, added up');
  lab.measure(`${round}: shortest`, shortest, 'bytes');
  lab.measure(`${round}: longest`, longest, 'bytes');
  lab.measure(`${round}: messages per second`, Math.round(messages / seconds), 'messages/s');
}
box.close();
