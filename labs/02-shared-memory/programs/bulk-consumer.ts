/**
 * The consumer of the "bulk" scenario: takes every piece, through the segment's ring buffer or the
 * pipe, and asks the engine for a kernel snapshot just before the first piece and just after the last,
 * so that /proc/<pid>/io (rchar: bytes through read(2)) is known at both ends of the transfer.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';
import { RingBuffer } from '../../../main/runtime/shared-memory/ring-buffer.js';
import { PIECE_BYTES } from './bulk-layout.js';

const through = lab.choice('through');
const piece = Buffer.alloc(PIECE_BYTES);
let bytes = 0;
let next = 0;
let outOfOrder = 0;
const count = (length: number): void => {
  bytes += length;
  // Through the pipe a read may return part of a piece: only a piece's start carries its number.
  if (through === 'shm' && piece.readUInt32LE(0) !== next) outOfOrder++;
  next++;
};

if (through === 'pipe') {
  const fd = lab.fd('bulk');
  lab.snapshot('before the transfer');
  const start = process.hrtime.bigint();
  for (let got = lab.read(fd, 'bulk', piece); got > 0; got = lab.read(fd, 'bulk', piece)) count(got);
  const ns = process.hrtime.bigint() - start;
  lab.snapshot('after the transfer');
  report(ns);
  lab.close(fd, 'bulk', 'read');
} else {
  const segment = SharedSegment.attach(lab.shmName('bulk'));
  const ring = RingBuffer.attach(segment, { tracer: lab, channel: 'bulk' });
  lab.emit('object.open', { channel: 'bulk', object: { type: 'shm', name: segment.path } });
  lab.snapshot('before the transfer');
  const start = process.hrtime.bigint();
  for (let got = ring.getInto(piece); got > 0; got = ring.getInto(piece)) count(got);
  const ns = process.hrtime.bigint() - start;
  lab.snapshot('after the transfer');
  report(ns);
  segment.detach();
}

function report(ns: bigint): void {
  lab.measure('bytes taken', bytes, 'bytes', through === 'pipe' ? 'through read(2) of the pipe' : 'copied out of the segment by the addon');
  lab.measure('transfer time', Math.round(Number(ns) / 1e6), 'ms');
  lab.measure('rate', Math.round(bytes / (Number(ns) / 1e9) / 1e6), 'MB/s', 'one run on a shared machine: it varies from run to run');
  if (outOfOrder > 0) lab.note(`${outOfOrder} pieces arrived out of order`);
}
