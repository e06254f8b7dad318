/**
 * The parent of the "capacity" scenario: how much does a pipe hold?
 *
 * The child waits before it reads anything, so everything the parent writes stays in the kernel's
 * buffer. Each write() returns at once while there is room; the first one that does not fit blocks
 * until the child starts reading. The bytes written before that write are the pipe's capacity, and
 * the trace shows exactly where it happened. The kernel also says it directly (fcntl F_GETPIPE_SZ),
 * which the check compares with what the trace measured.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { native } from '../../../main/native/index.js';

const chunkBytes = lab.int('chunkBytes');
const totalBytes = lab.int('totalKiB') * 1024;

const { readFd, writeFd } = lab.pipe('pipe');
lab.measure('F_GETPIPE_SZ', native().pipeCapacity(writeFd), 'bytes', 'the capacity the kernel reports for this pipe');
const child = lab.spawn('child', 'slow-reader.ts', { fds: { pipe: readFd } });
lab.close(readFd, 'pipe', 'read');

const chunk = Buffer.alloc(chunkBytes, 'x');
let written = 0;
while (written < totalBytes) {
  written += lab.write(writeFd, 'pipe', chunk.subarray(0, Math.min(chunkBytes, totalBytes - written)));
}
lab.note(`wrote ${written} bytes in all`);
lab.close(writeFd, 'pipe', 'write');
await child.exited;
