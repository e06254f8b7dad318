/**
 * The child of the "messages" scenario: it holds only the read end of the pipe (descriptor 3).
 *
 * It reads until read() returns 0 (end of file: every write end is closed and the buffer is empty)
 * and splits the byte stream into lines, because a pipe keeps no message boundaries: one read may
 * return half a message, or three.
 *
 * With tryToReply, it first tries to write back into its read end. A pipe goes one way only, and
 * the kernel refuses: EBADF, the descriptor is not open for writing.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';

const fd = lab.fd('pipe');

if (lab.bool('tryToReply')) {
  try {
    lab.write(fd, 'pipe', Buffer.from('reply from the child\n'));
  } catch (error) {
    lab.note(`Writing into the read end failed with ${(error as NodeJS.ErrnoException).code}: a pipe carries data one way.`);
  }
}

const buffer = Buffer.alloc(4096);
let partial = '';
let seq = 0;
for (;;) {
  const bytes = lab.read(fd, 'pipe', buffer);
  if (bytes === 0) break;
  partial += buffer.toString('utf8', 0, bytes);
  let newline: number;
  while ((newline = partial.indexOf('\n')) >= 0) {
    const text = partial.slice(0, newline);
    partial = partial.slice(newline + 1);
    lab.emit('message.receive', { channel: 'pipe', messageId: ++seq, bytes: Buffer.byteLength(text) + 1, text });
  }
}
lab.note(`end of file after ${seq} messages`);
lab.close(fd, 'pipe', 'read');
