/**
 * The consumer of the pipe throughput run: reads the read end of a pipe(2) the benchmark handed it at
 * fd 3 with readSync into a buffer of one chunk, completing partial reads, and checks each chunk; then
 * expects end of file (nothing extra).
 *
 *   node pipe-consumer.js <chunks> <chunk bytes>
 * stdout: `ready`, then {firstNs, lastNs, cpuMs, reads, extraBytes, ...ChunkReport}
 */
import { readSync } from 'node:fs';
import { ChunkVerifier, childStart, cpuMsSince, tell } from './payload.js';

const PIPE_FD = 3;
const [chunksArg, chunkBytesArg] = childStart();
const chunks = Number(chunksArg);
const chunkBytes = Number(chunkBytesArg);
const target = Buffer.alloc(chunkBytes);
const verifier = new ChunkVerifier(chunkBytes, chunks);
tell('ready');

const cpu = process.cpuUsage();
let firstNs = 0n;
let reads = 0;
let extraBytes = 0;
try {
  for (let i = 0; i < chunks; i++) {
    let filled = 0;
    while (filled < chunkBytes) {
      const n = readSync(PIPE_FD, target, filled, chunkBytes - filled, null);
      reads++;
      if (n === 0) break; // end of file: the writer closed early
      if (i === 0 && filled === 0) firstNs = process.hrtime.bigint();
      filled += n;
    }
    if (filled === 0) {
      verifier.problem(`end of file after ${i} of ${chunks} chunks`);
      break;
    }
    verifier.check(target, filled);
  }
  const lastNs = process.hrtime.bigint();
  for (let n; (n = readSync(PIPE_FD, target, 0, chunkBytes, null)) > 0;) extraBytes += n;
  if (extraBytes > 0) verifier.problem(`${extraBytes} bytes after the last chunk`);
  tell({ firstNs: String(firstNs), lastNs: String(lastNs), cpuMs: cpuMsSince(cpu), reads, extraBytes, ...verifier.report });
} catch (error) {
  verifier.problem(`after ${verifier.report.verified} chunks: ${(error as Error).message}`);
  tell({ firstNs: String(firstNs), lastNs: String(process.hrtime.bigint()), cpuMs: cpuMsSince(cpu), reads, extraBytes, ...verifier.report });
}
