/**
 * The parent of the "capacity" scenario: how much does a pipe hold?
 *
 * The child waits before it reads anything, so everything the parent writes stays in the kernel's
 * buffer. Each write() returns at once while there is room; the first one that does not fit blocks
 * until the child starts reading. How much went in before that depends on the size of the writes, not
 * only on the pipe: Linux keeps a pipe's data in a ring of page-sized slots (16 by default), and a
 * write of at most a page is never split across the free tail of one page and the next (fs/pipe.c,
 * pipe_write()). The kernel says how big the ring is (fcntl F_GETPIPE_SZ: slots x page size), and the
 * check works out from that what should fit for the chosen write size.
 */
import { readFileSync } from 'node:fs';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { native } from '../../../main/native/index.js';

/**
 * The machine's page size: the smallest KernelPageSize in /proc/self/smaps (proc(5); a huge-page
 * mapping shows a larger one, every ordinary mapping the base page, which is what a pipe slot holds).
 */
function pageSize(): number {
  const sizes = [...readFileSync('/proc/self/smaps', 'utf8').matchAll(/^KernelPageSize:\s+(\d+) kB$/gm)].map((m) => Number(m[1]) * 1024);
  return Math.min(...sizes);
}

const chunkBytes = lab.int('chunkBytes');
const totalBytes = lab.int('totalKiB') * 1024;

lab.measure('page size', pageSize(), 'bytes', 'KernelPageSize in /proc/self/smaps: the size of one slot of a pipe');
const { readFd, writeFd } = lab.pipe('pipe');
// How full the pipe is after each write, as the kernel reports it (FIONREAD): the occupancy track.
lab.traceFill(writeFd);
lab.measure('F_GETPIPE_SZ', native().pipeCapacity(writeFd), 'bytes', 'the capacity the kernel reports for this pipe: its slots times the page size');
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
