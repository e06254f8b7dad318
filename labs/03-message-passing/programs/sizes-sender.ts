/**
 * The sender of the "sizes" scenario: the same records, first as fixed-size messages (each padded to
 * the longest record), then as variable-size messages (each exactly as long as its record). The
 * receiver measures bytes and messages per second for both.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { createMailbox } from './mailboxes.js';
import { RECORD_BYTES, END, record } from './records.js';

const records = lab.int('records');
const box = createMailbox('records', 10, RECORD_BYTES);
const receiver = lab.spawn('receiver', 'sizes-receiver.ts');

const fixed = Buffer.alloc(RECORD_BYTES);
for (let k = 0; k < records; k++) {
  fixed.fill(0);
  fixed.write(record(k));
  box.send(fixed);
}
box.send(END);
lab.note(`sent ${records} fixed-size messages of ${RECORD_BYTES} bytes`);

for (let k = 0; k < records; k++) box.send(record(k));
box.send(END);
lab.note(`sent ${records} variable-size messages`);

await receiver.exited;
box.close();
box.unlink();
