/**
 * The producer of the "bounded" and "unbounded" scenarios. It creates the buffer (a ring of slots in
 * one shared segment, guarded by a mutex and two counting semaphores: see ring-buffer.ts) and starts
 * the consumer. It makes its first `fastItems` items at full speed, the rest with a pause, then puts
 * an empty item that tells the consumer to stop.
 *
 * Bounded: `slots` slots, so put() waits on "empty slots" when all are full.
 * Unbounded: room for every item; put() never waits.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';
import { RingBuffer } from '../../../main/runtime/shared-memory/ring-buffer.js';
import { ITEM_BYTES, itemText } from './items.js';

const items = lab.int('items');
const fastItems = lab.int('fastItems');
// The "unbounded" scenario may be made bounded (4 slots) to compare.
const bounded = lab.has('slots') || (lab.has('bounded') && lab.bool('bounded'));
const slots = lab.has('slots') ? lab.int('slots') : bounded ? 4 : items + 1;

const segment = SharedSegment.create(lab.shmName('buffer'), RingBuffer.bytesFor(slots, ITEM_BYTES));
const ring = RingBuffer.create(segment, { slots, slotBytes: ITEM_BYTES, bounded, tracer: lab, channel: 'buffer' });
lab.emit('object.create', {
  channel: 'buffer',
  object: { type: 'shm', name: segment.path },
  detail: bounded ? `a ring of ${slots} slots of ${ITEM_BYTES} bytes` : `room for all ${items} items: unbounded for this run`,
});
const consumer = lab.spawn('consumer', 'consumer.ts');

for (let id = 1; id <= items; id++) {
  if (id > fastItems) lab.sleep(lab.int('producerDelayMs'));
  const text = itemText(id, `item ${id} of ${items}`);
  lab.emit('message.send', { channel: 'buffer', messageId: id, bytes: Buffer.byteLength(text), text });
  ring.put(Buffer.from(text));
}
ring.put(Buffer.alloc(0));

await consumer.exited;
segment.unlink();
segment.detach();
