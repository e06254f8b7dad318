/**
 * A consumer: attaches the buffer by name and takes items until it gets the empty item that means
 * "no more", pausing `consumerDelayMs` after each (the time it takes to "use" an item).
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';
import { RingBuffer } from '../../../main/runtime/shared-memory/ring-buffer.js';
import { itemId } from './items.js';

const segment = SharedSegment.attach(lab.shmName('buffer'));
// consumerMutex off (the crowd's broken variant): this consumer claims items without the get mutex.
const mutex = !lab.has('consumerMutex') || lab.bool('consumerMutex');
const ring = RingBuffer.attach(segment, { tracer: lab, channel: 'buffer', mutex });
lab.emit('object.open', { channel: 'buffer', object: { type: 'shm', name: segment.path } });
// The producer (or starter) made the segment and keeps it mapped: the kernel view shows both now.
lab.snapshot('the consumer has mapped the buffer');
if (lab.has('readyOffset')) {
  // The crowd's starter waits for every consumer before it starts the producers.
  segment.add(lab.int('readyOffset'), 1);
  segment.wake(lab.int('readyOffset'), 1);
}

for (;;) {
  const item = ring.get();
  if (item.length === 0) break;
  const text = item.toString('utf8');
  lab.emit('message.receive', { channel: 'buffer', messageId: itemId(text), bytes: item.length, text });
  lab.sleep(lab.int('consumerDelayMs'));
}
segment.detach();
