/**
 * The starter of the "crowd" scenario: one buffer, several producers and several consumers.
 * It creates the buffer, starts the consumers and the producers, waits for the producers, then puts
 * one empty item per consumer so that each of them stops.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';
import { RingBuffer } from '../../../main/runtime/shared-memory/ring-buffer.js';
import { ITEM_BYTES } from './items.js';

const slots = lab.int('slots');
const segment = SharedSegment.create(lab.shmName('buffer'), RingBuffer.bytesFor(slots, ITEM_BYTES));
const ring = RingBuffer.create(segment, { slots, slotBytes: ITEM_BYTES, bounded: true, tracer: lab, channel: 'buffer' });
lab.emit('object.create', { channel: 'buffer', object: { type: 'shm', name: segment.path }, detail: `a ring of ${slots} slots` });

const consumers = Array.from({ length: lab.int('consumers') }, () => lab.spawn('consumer', 'consumer.ts', { params: { ...lab.params, consumerDelayMs: 2 } }));
const producers = Array.from({ length: lab.int('producers') }, (_, index) =>
  lab.spawn('producer', 'crowd-producer.ts', { params: { ...lab.params, producerIndex: index + 1 } }),
);
await Promise.all(producers.map((p) => p.exited));
for (let i = 0; i < consumers.length; i++) ring.put(Buffer.alloc(0));
await Promise.all(consumers.map((c) => c.exited));
segment.unlink();
segment.detach();
