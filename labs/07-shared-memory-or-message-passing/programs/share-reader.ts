/**
 * A reader of the "visibility" scenario, as role `first` or `third`. Both map the owner's segment
 * and read its note, and open the owner's mailbox. The first receiver takes a message (blocking); the
 * third, started once it has, leaves a mark in the segment, asks for the kernel's view, then tries a
 * non-blocking receive: the message the first took is gone for it (EAGAIN), whoever else holds the queue.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { Mailbox } from '../../../main/runtime/message-passing/mailbox.js';
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';
import { MARK, NOTE, TAKEN, THIRD_DONE, readText, setFlag, writeText } from './share-board.js';

const third = lab.role === 'third';
const mapping = third ? (lab.choice('thirdMapping') as 'shared' | 'private') : 'shared';
const segment = SharedSegment.attach(lab.shmName('board'), mapping);
lab.emit('object.open', {
  channel: 'board',
  object: { type: 'shm', name: segment.path },
  detail: mapping === 'private' ? 'mmap(MAP_PRIVATE)' : 'mmap(MAP_SHARED)',
});
lab.note(`read from the segment: "${readText(segment, NOTE)}"`);
const box = Mailbox.open(lab.mqName('letters'), { tracer: lab, channel: 'mailbox letters' });
lab.emit('object.open', { channel: 'mailbox letters', object: { type: 'mqueue', name: box.name }, detail: 'mq_open' });

const received = (message: Buffer) => {
  const text = message.toString('utf8');
  lab.emit('message.receive', { channel: 'mailbox letters', messageId: Number(/^#(\d+)/.exec(text)?.[1] ?? -1), bytes: message.length, text });
};

if (!third) {
  // A blocking mq_receive, traced as the read it is.
  lab.emit('io.begin', { op: 'read', channel: 'mailbox letters' });
  lab.flush();
  const start = process.hrtime.bigint();
  const message = box.receive({ block: true })!;
  lab.emit('io.end', { op: 'read', channel: 'mailbox letters', bytes: message.length, durationNs: (process.hrtime.bigint() - start).toString() });
  received(message);
  setFlag(segment, TAKEN);
  // Keep the segment mapped and the queue open until the third process is done.
  while (segment.load(THIRD_DONE) !== 1) segment.wait(THIRD_DONE, 0, 50);
} else {
  writeText(segment, MARK, `the third process, pid ${process.pid}, was here`);
  lab.snapshot('the third process has mapped the segment, after the first receiver took its message');
  // Non-blocking: on an empty queue mq_receive fails with EAGAIN at once (traced by the mailbox).
  const message = box.receive({ block: false });
  if (message) received(message);
  else lab.note('non-blocking receive: EAGAIN, the mailbox is empty: the message the first receiver took is gone for every other process');
}
box.close();
segment.detach();
