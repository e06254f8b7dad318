/**
 * The parent of the "early-exit" scenario: what happens to a writer when nobody can read any more?
 *
 * The child reads a few messages and exits, closing its read end. The parent waits for that
 * (waitpid), then writes again. If the parent closed its own copy of the read end, no read end is
 * left and the kernel refuses the write with EPIPE, "broken pipe" (write(2), pipe(7)). A C program
 * would not even see the error: the kernel also sends it SIGPIPE, whose default action ends the
 * process before write() returns. Node ignores SIGPIPE, so here the write fails with EPIPE and the
 * program decides what to do. If the parent kept its read end, the pipe still has a reader (the
 * parent itself) and the write succeeds.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';

const readerReads = lab.int('readerReads');
const parentClosesReadEnd = lab.bool('parentClosesReadEnd');

const { readFd, writeFd } = lab.pipe('pipe');
const child = lab.spawn('child', 'early-exit-reader.ts', { fds: { pipe: readFd } });
if (parentClosesReadEnd) lab.close(readFd, 'pipe', 'read');
else lab.note("Keeping the parent's copy of the read end open.");

for (let seq = 1; seq <= readerReads; seq++) {
  const text = `message ${seq}`;
  const data = Buffer.from(text + '\n');
  // Announced before the write, which can wake the reader.
  lab.emit('message.send', { channel: 'pipe', messageId: seq, bytes: data.length, text });
  lab.write(writeFd, 'pipe', data);
}
await child.exited;
try {
  lab.write(writeFd, 'pipe', Buffer.from('one more, after the child has gone\n'));
  lab.note("The write succeeded: a read end is still open (the parent's own), so the pipe is not broken.");
} catch (error) {
  lab.note(`write failed with ${(error as NodeJS.ErrnoException).code}: the reader is gone.`);
}
lab.close(writeFd, 'pipe', 'write');
if (!parentClosesReadEnd) lab.close(readFd, 'pipe', 'read');
