/**
 * The starter of the "crowd" scenario: one buffer, several producers and several consumers.
 * It creates the buffer, starts the consumers, waits until each has attached, starts the producers,
 * waits for them, then puts one empty item per consumer so that each of them stops.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';
import { RingBuffer, RingBufferOverflowError } from '../../../main/runtime/shared-memory/ring-buffer.js';
import { ITEM_BYTES } from './items.js';
import { waitForPeers } from './wait-for-peers.js';

const slots = lab.int('slots');
// After the ring, one word: how many consumers have attached and are about to wait for items.
const readyOffset = RingBuffer.bytesFor(slots, ITEM_BYTES);
const segment = SharedSegment.create(lab.shmName('buffer'), readyOffset + 8);
// waitForRoom off: producers do not wait on "empty slots", and a put into a full buffer is refused.
const bounded = lab.bool('waitForRoom');
const ring = RingBuffer.create(segment, { slots, slotBytes: ITEM_BYTES, bounded, tracer: lab, channel: 'buffer' });
lab.emit('object.create', {
  channel: 'buffer',
  object: { type: 'shm', name: segment.path },
  detail: `a ring of ${slots} slots${bounded ? '' : '; producers do not wait for room'}`,
});

const consumers = Array.from({ length: lab.int('consumers') }, () =>
  lab.spawn('consumer', 'consumer.ts', { params: { ...lab.params, consumerDelayMs: 5, readyOffset } }),
);
// The producers start once every consumer is waiting: a consumer slow to start would otherwise find
// the work done, and the run would show one consumer doing it all (it can still happen, rarely).
waitForPeers(segment, readyOffset, consumers);
const producers = Array.from({ length: lab.int('producers') }, (_, index) =>
  lab.spawn('producer', 'crowd-producer.ts', { params: { ...lab.params, producerIndex: index + 1 } }),
);
await Promise.all(producers.map((p) => p.exited));
for (let i = 0; i < consumers.length; i++) {
  // One empty item per consumer: "no more". Without the wait for room, try until it fits.
  for (;;) {
    try {
      ring.put(Buffer.alloc(0));
      break;
    } catch (error) {
      if (!(error instanceof RingBufferOverflowError)) throw error;
      lab.sleep(10);
    }
  }
}
await Promise.all(consumers.map((c) => c.exited));
segment.unlink();
segment.detach();
