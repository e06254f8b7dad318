/**
 * The receiver of the "sizes" scenario: counts messages and bytes in each of the two rounds, and how
 * long each took.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { Mailbox } from '../../../main/runtime/message-passing/mailbox.js';
import { END } from './records.js';

const box = Mailbox.open(lab.mqName('records'), { tracer: lab, channel: 'mailbox records' });
for (const round of ['fixed', 'variable']) {
  let messages = 0;
  let bytes = 0;
  let start = 0n;
  for (;;) {
    const message = box.receive()!;
    if (start === 0n) start = process.hrtime.bigint();
    if (message.toString('utf8') === END) break;
    messages++;
    bytes += message.length;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  lab.measure(`${round}: messages`, messages, 'messages');
  lab.measure(`${round}: bytes`, bytes, 'bytes');
  lab.measure(`${round}: messages per second`, Math.round(messages / seconds), 'messages/s');
}
box.close();
