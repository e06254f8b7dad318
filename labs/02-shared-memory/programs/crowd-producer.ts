/**
 * A producer of the "crowd" scenario: attaches the buffer and puts `items` items. Its items are
 * numbered producerIndex × 10000 + 1, 2, ...: the number tells whose item it is.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';
import { RingBuffer, RingBufferOverflowError } from '../../../main/runtime/shared-memory/ring-buffer.js';
import { itemText } from './items.js';

const index = lab.int('producerIndex');
const segment = SharedSegment.attach(lab.shmName('buffer'));
const ring = RingBuffer.attach(segment, { tracer: lab, channel: 'buffer' });
lab.emit('object.open', { channel: 'buffer', object: { type: 'shm', name: segment.path } });

for (let k = 1; k <= lab.int('items'); k++) {
  const id = index * 10_000 + k;
  const text = itemText(id, `producer ${index}, item ${k}`);
  lab.emit('message.send', { channel: 'buffer', messageId: id, bytes: Buffer.byteLength(text), text });
  try {
    ring.put(Buffer.from(text));
  } catch (error) {
    if (!(error instanceof RingBufferOverflowError)) throw error;
    lab.emit('io.error', { op: 'write', channel: 'buffer', code: 'EOVERFLOW', message: error.message });
    lab.note(`item ${k} was not put: the buffer was full and this producer did not wait for room; it stops here`);
    break;
  }
}
segment.detach();
