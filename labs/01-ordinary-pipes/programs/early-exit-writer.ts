/**
 * The parent of the "early-exit" scenario: what happens to a writer when nobody can read any more?
 *
 * The child reads a few messages and exits, closing the only read end. The parent waits for that
 * (waitpid), then writes again. The kernel refuses with EPIPE, "broken pipe". A C program would not
 * even see the error: the kernel first sends it SIGPIPE, whose default action ends the process. Node
 * ignores SIGPIPE, so here the write fails with EPIPE and the program decides what to do.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';

const readerReads = lab.int('readerReads');

const { readFd, writeFd } = lab.pipe('pipe');
const child = lab.spawn('child', 'early-exit-reader.ts', { fds: { pipe: readFd } });
lab.close(readFd, 'pipe', 'read');

function send(seq: number): void {
  const text = `message ${seq}`;
  const bytes = lab.write(writeFd, 'pipe', Buffer.from(text + '\n'));
  lab.emit('message.send', { channel: 'pipe', messageId: seq, bytes, text });
}

for (let seq = 1; seq <= readerReads; seq++) send(seq);
await child.exited;
try {
  send(readerReads + 1);
} catch (error) {
  lab.note(`write failed with ${(error as NodeJS.ErrnoException).code}: the reader is gone.`);
}
lab.close(writeFd, 'pipe', 'write');
