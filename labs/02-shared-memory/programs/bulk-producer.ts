/**
 * The producer of the "bulk" scenario: moves `mib` MiB to a consumer in 64 KiB pieces, through a
 * ring buffer in a shared segment (`through: shm`) or through an ordinary pipe (`through: pipe`).
 *
 * Through the segment, each piece is copied into a slot by the addon and out of it by the consumer's
 * addon: two copies in user space, no read(2) or write(2). Through the pipe, write(2) copies each piece
 * into the kernel's pipe buffer and read(2) copies it out again: the kernel moves every byte, and
 * counts it in /proc/<pid>/io (wchar here, rchar in the consumer).
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';
import { RingBuffer } from '../../../main/runtime/shared-memory/ring-buffer.js';
import { PIECE_BYTES, SLOTS, fillPiece } from './bulk-layout.js';

const pieces = (lab.int('mib') * 1024 * 1024) / PIECE_BYTES;
const piece = Buffer.alloc(PIECE_BYTES);

if (lab.choice('through') === 'pipe') {
  const { readFd, writeFd } = lab.pipe('bulk');
  const consumer = lab.spawn('consumer', 'bulk-consumer.ts', { fds: { bulk: readFd } });
  lab.close(readFd, 'bulk', 'read');
  for (let n = 0; n < pieces; n++) lab.write(writeFd, 'bulk', fillPiece(piece, n));
  lab.close(writeFd, 'bulk', 'write');
  await consumer.exited;
} else {
  const segment = SharedSegment.create(lab.shmName('bulk'), RingBuffer.bytesFor(SLOTS, PIECE_BYTES));
  const ring = RingBuffer.create(segment, { slots: SLOTS, slotBytes: PIECE_BYTES, tracer: lab, channel: 'bulk' });
  lab.emit('object.create', { channel: 'bulk', object: { type: 'shm', name: segment.path }, detail: `a ring of ${SLOTS} slots of ${PIECE_BYTES / 1024} KiB` });
  const consumer = lab.spawn('consumer', 'bulk-consumer.ts');
  for (let n = 0; n < pieces; n++) ring.put(fillPiece(piece, n));
  ring.put(Buffer.alloc(0)); // the empty item: "no more"
  await consumer.exited;
  segment.unlink();
  segment.detach();
}
