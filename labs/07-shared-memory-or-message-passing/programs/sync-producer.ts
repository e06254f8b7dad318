/**
 * A producer of the "synchronisation" scenario: `items` items, numbered producerIndex × 10000 + k,
 * into the textbook ring (with the step's mistake, if any) or into the pipe (write(2) of 64 bytes:
 * at most PIPE_BUF, so each write is atomic, pipe(7)).
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';
import { TextbookBuffer, type Mistake } from './sync-buffer.js';
import { itemRecord } from './sync-items.js';

const index = lab.int('producerIndex');
const overPipe = lab.choice('carrier') === 'pipe';
const channel = overPipe ? 'pipe' : 'buffer';
let put: (record: Buffer) => void;
let done: () => void;
if (overPipe) {
  const fd = lab.fd('pipe');
  put = (record) => void lab.write(fd, 'pipe', record);
  done = () => lab.close(fd, 'pipe', 'write');
} else {
  const segment = SharedSegment.attach(lab.shmName('buffer'));
  lab.emit('object.open', { channel, object: { type: 'shm', name: segment.path } });
  const buffer = TextbookBuffer.attach(segment, lab, lab.choice('mistake') as Mistake);
  put = (record) => void buffer.put(record);
  done = () => segment.detach();
}
for (let k = 1; k <= lab.int('items'); k++) {
  const id = index * 10_000 + k;
  const record = itemRecord(id, `producer ${index}, item ${k}`);
  lab.emit('message.send', { channel, messageId: id, bytes: record.length, text: record.toString().trimEnd() });
  put(record);
}
done();
