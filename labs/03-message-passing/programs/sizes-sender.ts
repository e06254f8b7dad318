/**
 * The sender of the "sizes" scenario: the same records, first as fixed-size messages (each padded with
 * zero bytes to the longest record), then as variable-size messages (each exactly as long as its
 * record). The mailbox's message size (mq_msgsize) is the longest record: the kernel refuses anything
 * longer with EMSGSIZE (mq_send(3)), which the sender shows at the end with one byte too many.
 * The receiver measures what mq_receive returned in each round.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { createMailbox } from './mailboxes.js';
import { END, makeRecords } from './records.js';

const records = makeRecords(lab.int('records'), lab.choice('recordLengths') as 'varied' | 'equal');
const longest = Math.max(...records.map((r) => r.length));
const box = createMailbox('records', 10, longest);
lab.note(`the longest record is ${longest} bytes: the mailbox's message size (mq_msgsize)`);
const receiver = lab.spawn('receiver', 'sizes-receiver.ts');

const fixed = Buffer.alloc(longest);
for (const record of records) {
  fixed.fill(0);
  record.copy(fixed);
  box.send(fixed);
}
box.send(END);
lab.note(`sent ${records.length} fixed-size messages of ${longest} bytes`);

for (const record of records) box.send(record);
box.send(END);
lab.note(`sent ${records.length} variable-size messages`);

// One byte more than the mailbox's message size: the kernel refuses it (EMSGSIZE) rather than cut it.
const tooLong = Buffer.alloc(longest + 1, 'x');
lab.emit('io.begin', { op: 'write', channel: 'mailbox records', bytes: tooLong.length });
try {
  box.send(tooLong, { block: false });
  lab.emit('io.end', { op: 'write', channel: 'mailbox records', bytes: tooLong.length, durationNs: '0' });
} catch (error) {
  const err = error as NodeJS.ErrnoException;
  lab.emit('io.error', { op: 'write', channel: 'mailbox records', code: err.code ?? 'EUNKNOWN', message: err.message });
}

await receiver.exited;
box.close();
box.unlink();
