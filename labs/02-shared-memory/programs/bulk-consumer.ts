/**
 * The consumer of the "bulk" scenario: takes every piece, through the segment's ring buffer or the
 * pipe, and asks the engine for a kernel snapshot just before the first piece and just after the last,
 * so that /proc/<pid>/io (rchar: bytes through read(2)) is known at both ends of the transfer.
 * Before that, it takes the same bytes in a C loop (readLoop on a second pipe, or ringConsumeLoop on the
 * same ring: main/native/measure-loops.c), traced as one io.begin / io.end pair, and measures its rate.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';
import { RingBuffer } from '../../../main/runtime/shared-memory/ring-buffer.js';
import { readLoop, ringConsumeLoop, tracedLoop, type LoopTiming } from '../../../main/runtime/native-loops.js';
import { PIECE_BYTES } from './bulk-layout.js';

const through = lab.choice('through');
const totalBytes = lab.int('mib') * 1024 * 1024;

/** The same bytes first, in C: the mechanism without Node's work per piece. */
function nativeFirst(run: () => LoopTiming): void {
  lab.note(
    through === 'pipe'
      ? `native loop: ${totalBytes} bytes through a second pipe, read(2) of up to ${PIECE_BYTES} bytes in C (readLoop, main/native/measure-loops.c)`
      : `native loop: ${totalBytes} bytes out of the same ring, gets in C with the ring's own protocol (ringConsumeLoop, main/native/measure-loops.c)`,
  );
  const loop = tracedLoop(lab, 'read', 'bulk-native', totalBytes, run);
  const seconds = Number(loop.endNs - loop.startNs) / 1e9;
  lab.measure(
    'native rate',
    Math.round(loop.bytes / seconds / 1e6),
    'MB/s',
    `${loop.bytes} bytes in a C loop, from its first ${through === 'pipe' ? 'read' : 'get'} to its last`,
  );
}
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
  const native = lab.fd('bulk-native');
  nativeFirst(() => readLoop(native, totalBytes, PIECE_BYTES));
  lab.close(native, 'bulk-native', 'read');
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
  nativeFirst(() => ringConsumeLoop(ring, totalBytes, PIECE_BYTES));
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
