/**
 * The owner of the "visibility" scenario: it makes a segment and writes a note in it, makes a mailbox
 * and puts `letters` messages in it, then starts the first receiver. Once that one has taken a
 * message, it starts a third process, which maps the same segment and tries to take a message too.
 * The owner and the first receiver keep the segment mapped until the third is done, so that the
 * kernel view the third asks for shows all three.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { Mailbox } from '../../../main/runtime/message-passing/mailbox.js';
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';
import { MAILBOX_BYTES, MARK, NOTE, SEGMENT_BYTES, TAKEN, THIRD_DONE, awaitFlag, gone, readText, setFlag, writeText } from './share-board.js';

const segment = SharedSegment.create(lab.shmName('board'), SEGMENT_BYTES);
lab.emit('object.create', { channel: 'board', object: { type: 'shm', name: segment.path }, detail: 'shm_open + ftruncate + mmap(MAP_SHARED)' });
const note = `a note from the owner, pid ${process.pid}`;
writeText(segment, NOTE, note);
lab.note(`stored in the segment: "${note}"`);

const box = Mailbox.create(lab.mqName('letters'), { capacity: 2, messageBytes: MAILBOX_BYTES, tracer: lab, channel: 'mailbox letters' });
lab.emit('object.create', { channel: 'mailbox letters', object: { type: 'mqueue', name: box.name }, detail: 'mq_open(O_CREAT)' });
const letters = lab.int('letters');
for (let k = 1; k <= letters; k++) {
  const text = `#${k} letter ${k} from the owner`;
  lab.emit('message.send', { channel: 'mailbox letters', messageId: k, bytes: Buffer.byteLength(text), text });
  box.send(text);
}

const first = lab.spawn('first', 'share-reader.ts');
awaitFlag(segment, TAKEN, first);
const third = lab.spawn('third', 'share-reader.ts');
while (!gone(third.pid)) lab.sleep(20);
const mark = readText(segment, MARK);
lab.note(mark ? `the third process's mark, read from the segment: "${mark}"` : "the third process's mark never reached this process's pages");
setFlag(segment, THIRD_DONE);
await Promise.all([first.exited, third.exited]);
box.close();
box.unlink();
segment.unlink();
segment.detach();
