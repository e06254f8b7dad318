/**
 * The producer of the "bounded" and "unbounded" scenarios. It creates the buffer (a ring of slots in
 * one shared segment, guarded by a mutex and two counting semaphores: see ring-buffer.ts) and starts
 * the consumer. It makes its first `fastItems` items at full speed, the rest with a pause, then puts
 * an empty item that tells the consumer to stop.
 *
 * Bounded: `slots` slots, so put() waits on "empty slots" when all are full.
 * Unbounded: room for every item; put() never waits. With less room than that (`room`, or a bounded
 * scenario with `waitForRoom` off), a put into a full buffer is refused, and the producer stops.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';
import { RingBuffer, RingBufferOverflowError } from '../../../main/runtime/shared-memory/ring-buffer.js';
import { ITEM_BYTES, itemText } from './items.js';

const items = lab.int('items');
const fastItems = lab.int('fastItems');
// bounded: the producer waits on "empty slots" (the "unbounded" scenario may be made bounded, to
// compare; the "bounded" one may leave the wait out). Not bounded, a buffer without room for every
// item refuses the put that would overwrite an unread item (RingBufferOverflowError).
const bounded = lab.has('slots') ? !lab.has('waitForRoom') || lab.bool('waitForRoom') : lab.bool('bounded');
const room = lab.has('room') ? lab.int('room') : 0;
const slots = lab.has('slots') ? lab.int('slots') : room > 0 ? room : bounded ? 4 : items + 1;

const segment = SharedSegment.create(lab.shmName('buffer'), RingBuffer.bytesFor(slots, ITEM_BYTES));
const ring = RingBuffer.create(segment, { slots, slotBytes: ITEM_BYTES, bounded, tracer: lab, channel: 'buffer' });
lab.emit('object.create', {
  channel: 'buffer',
  object: { type: 'shm', name: segment.path },
  detail: bounded
    ? `a ring of ${slots} slots of ${ITEM_BYTES} bytes`
    : slots > items
      ? `room for all ${items} items: unbounded for this run`
      : `${slots} slots, and the producer does not wait for room`,
});
const consumer = lab.spawn('consumer', 'consumer.ts');

for (let id = 1; id <= items; id++) {
  if (id > fastItems) lab.sleep(lab.int('producerDelayMs'));
  const text = itemText(id, `item ${id} of ${items}`);
  lab.emit('message.send', { channel: 'buffer', messageId: id, bytes: Buffer.byteLength(text), text });
  try {
    ring.put(Buffer.from(text));
  } catch (error) {
    if (!(error instanceof RingBufferOverflowError)) throw error;
    lab.emit('io.error', { op: 'write', channel: 'buffer', code: 'EOVERFLOW', message: error.message });
    lab.note(`item ${id} was not put: the buffer was full and the producer did not wait for room; it stops here`);
    break;
  }
}
// The empty item that tells the consumer to stop; without the wait for room, try until it fits.
for (;;) {
  try {
    ring.put(Buffer.alloc(0));
    break;
  } catch (error) {
    if (!(error instanceof RingBufferOverflowError)) throw error;
    lab.sleep(10);
  }
}

await consumer.exited;
segment.unlink();
segment.detach();
