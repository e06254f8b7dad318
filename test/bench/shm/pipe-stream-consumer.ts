/**
 * The consumer of the "pipe, Node streams" throughput run: the read end of a pipe(2) the benchmark handed
 * it at fd 3, read the ordinary Node way: wrapped in a net.Socket (libuv, non-blocking, epoll) and taken
 * from 'data' events. A 'data' event carries whatever one read(2) returned (at most 64 KiB), so it may
 * hold part of a chunk, or the end of one and the start of the next: chunks are reassembled. A chunk
 * that lies whole inside one event is checked where it is; pieces of a split one are copied into a
 * buffer of one chunk first. Every chunk gets the same checks as in the other consumers; then the
 * stream must end (end of file) with nothing extra.
 *
 *   node pipe-stream-consumer.js <chunks> <chunk bytes>
 * stdout: `ready`, then {firstNs, lastNs, cpuMs, reads (= 'data' events), extraBytes, ...ChunkReport}
 */
import { Socket } from 'node:net';
import { ChunkVerifier, childStart, cpuMsSince, tell } from './payload.js';

const PIPE_FD = 3;
const [chunksArg, chunkBytesArg] = childStart();
const chunks = Number(chunksArg);
const chunkBytes = Number(chunkBytesArg);
const partial = Buffer.alloc(chunkBytes);
const verifier = new ChunkVerifier(chunkBytes, chunks);

let cpu: NodeJS.CpuUsage = process.cpuUsage();
let firstNs = 0n;
let lastNs = 0n;
let reads = 0;
let extraBytes = 0;
/** Chunks handed to the verifier, and bytes of the next one held in `partial`. */
let taken = 0;
let filled = 0;
let reported = false;

function report(): void {
  if (reported) return;
  reported = true;
  if (lastNs === 0n) lastNs = process.hrtime.bigint();
  tell({ firstNs: String(firstNs), lastNs: String(lastNs), cpuMs: cpuMsSince(cpu), reads, extraBytes, ...verifier.report });
  process.exit(0);
}

function take(chunk: Buffer): void {
  verifier.check(chunk, chunk.length);
  if (++taken === chunks) lastNs = process.hrtime.bigint();
}

const pipe = new Socket({ fd: PIPE_FD, readable: true, writable: false });
pipe.on('data', (data: Buffer) => {
  if (reads++ === 0) firstNs = process.hrtime.bigint();
  let offset = 0;
  if (taken === chunks) {
    extraBytes += data.length;
    return;
  }
  if (filled > 0) {
    const n = Math.min(chunkBytes - filled, data.length);
    data.copy(partial, filled, 0, n);
    filled += n;
    offset = n;
    if (filled < chunkBytes) return;
    take(partial);
    filled = 0;
  }
  for (; taken < chunks && data.length - offset >= chunkBytes; offset += chunkBytes) take(data.subarray(offset, offset + chunkBytes));
  if (taken === chunks) {
    extraBytes += data.length - offset;
  } else if (offset < data.length) {
    data.copy(partial, 0, offset);
    filled = data.length - offset;
  }
});
pipe.on('end', () => {
  if (filled > 0) verifier.check(partial, filled); // a short last chunk: reported as the wrong length
  if (taken < chunks) verifier.problem(`end of file after ${taken} of ${chunks} chunks`);
  if (extraBytes > 0) verifier.problem(`${extraBytes} bytes after the last chunk`);
  report();
});
pipe.on('error', (error) => {
  verifier.problem(`after ${verifier.report.verified} chunks: ${error.message}`);
  report();
});

cpu = process.cpuUsage();
tell('ready');
