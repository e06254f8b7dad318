/**
 * The consumer of the shared-memory throughput run: attaches the ring buffer the benchmark created in
 * a segment, takes `chunks` items with getInto (one copy out of the segment) and checks each one.
 *
 *   node ring-consumer.js <segment name> <chunks> <chunk bytes>
 * stdout: `ready`, then {firstNs, lastNs, cpuMs, waits: {channel: count}, ...ChunkReport}
 */
import { RingBuffer } from '../../../main/runtime/shared-memory/ring-buffer.js';
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';
import { ChunkVerifier, childStart, cpuMsSince, tell } from './payload.js';
import { WaitCounter } from './wait-counter.js';

const [name, chunksArg, chunkBytesArg] = childStart();
const chunks = Number(chunksArg);
const chunkBytes = Number(chunkBytesArg);
const waits = new WaitCounter();
const segment = SharedSegment.attach(name!);
const ring = RingBuffer.attach(segment, { tracer: waits, channel: 'ring' });
const target = Buffer.alloc(ring.slotBytes);
const verifier = new ChunkVerifier(chunkBytes, chunks);
tell('ready');

const cpu = process.cpuUsage();
let firstNs = 0n;
try {
  for (let i = 0; i < chunks; i++) {
    const length = ring.getInto(target, 10_000);
    if (i === 0) firstNs = process.hrtime.bigint();
    verifier.check(target, length);
  }
} catch (error) {
  verifier.problem(`after ${verifier.report.verified} chunks: ${(error as Error).message}`);
}
const lastNs = process.hrtime.bigint();
tell({ firstNs: String(firstNs), lastNs: String(lastNs), cpuMs: cpuMsSince(cpu), waits: waits.counts, ...verifier.report });
segment.detach();
