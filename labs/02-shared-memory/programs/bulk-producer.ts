/**
 * The producer of the "bulk" scenario: moves `mib` MiB to a consumer in 64 KiB pieces, through a
 * ring buffer in a shared segment (`through: shm`) or through an ordinary pipe (`through: pipe`).
 *
 * Through the segment, each piece is copied into a slot by the addon and out of it by the consumer's
 * addon: two copies in user space, no read(2) or write(2). Through the pipe, write(2) copies each piece
 * into the kernel's pipe buffer and read(2) copies it out again: the kernel moves every byte, and
 * counts it in /proc/<pid>/io (wchar here, rchar in the consumer).
 *
 * First, before the program's own transfer, the same bytes move the same way in C loops
 * (main/runtime/native-loops.ts, main/native/measure-loops.c): write(2) of each piece into a second
 * pipe, or puts into the same ring with its own protocol. That is the mechanism's speed without Node's
 * work per piece; it is over before the consumer's first snapshot, so the kernel's counters of the
 * program's own transfer do not include it.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';
import { RingBuffer } from '../../../main/runtime/shared-memory/ring-buffer.js';
import { ringProduceLoop, writeLoop } from '../../../main/runtime/native-loops.js';
import { PIECE_BYTES, SLOTS, fillPiece } from './bulk-layout.js';

const totalBytes = lab.int('mib') * 1024 * 1024;
const pieces = totalBytes / PIECE_BYTES;
const piece = Buffer.alloc(PIECE_BYTES);

if (lab.choice('through') === 'pipe') {
  const { readFd, writeFd } = lab.pipe('bulk');
  const native = lab.pipe('bulk-native');
  const consumer = lab.spawn('consumer', 'bulk-consumer.ts', { fds: { bulk: readFd, 'bulk-native': native.readFd } });
  lab.close(readFd, 'bulk', 'read');
  lab.close(native.readFd, 'bulk-native', 'read');
  writeLoop(native.writeFd, totalBytes, PIECE_BYTES);
  lab.close(native.writeFd, 'bulk-native', 'write');
  for (let n = 0; n < pieces; n++) lab.write(writeFd, 'bulk', fillPiece(piece, n));
  lab.close(writeFd, 'bulk', 'write');
  await consumer.exited;
} else {
  const segment = SharedSegment.create(lab.shmName('bulk'), RingBuffer.bytesFor(SLOTS, PIECE_BYTES));
  const ring = RingBuffer.create(segment, { slots: SLOTS, slotBytes: PIECE_BYTES, tracer: lab, channel: 'bulk' });
  lab.emit('object.create', { channel: 'bulk', object: { type: 'shm', name: segment.path }, detail: `a ring of ${SLOTS} slots of ${PIECE_BYTES / 1024} KiB` });
  const consumer = lab.spawn('consumer', 'bulk-consumer.ts');
  ringProduceLoop(ring, totalBytes, PIECE_BYTES);
  for (let n = 0; n < pieces; n++) ring.put(fillPiece(piece, n));
  ring.put(Buffer.alloc(0)); // the empty item: "no more"
  await consumer.exited;
  segment.unlink();
  segment.detach();
}
