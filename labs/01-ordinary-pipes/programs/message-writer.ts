/**
 * The parent of the "messages" scenario.
 *
 *   1. pipe() gives two descriptors: a read end and a write end of one kernel buffer.
 *   2. The child is started with the read end only (at its descriptor 3).
 *   3. The parent closes its own copy of the read end: from now on it can only write.
 *   4. It writes one line per message, then closes the write end, which is how the reader learns
 *      that no more data will ever come (read() returns 0: end of file). Without that close the
 *      child would wait for ever; the parent gives it 3 s, then ends it.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';

const messages = lab.int('messages');
const delayMs = lab.int('messageDelayMs');
const closeWriteEnd = lab.bool('closeWriteEnd');

const { readFd, writeFd } = lab.pipe('pipe');
const child = lab.spawn('child', 'message-reader.ts', { fds: { pipe: readFd } });
lab.close(readFd, 'pipe', 'read');

for (let seq = 1; seq <= messages; seq++) {
  const text = `message ${seq} of ${messages}`;
  const bytes = lab.write(writeFd, 'pipe', Buffer.from(text + '\n'));
  lab.emit('message.send', { channel: 'pipe', messageId: seq, bytes, text });
  lab.sleep(delayMs);
}

if (closeWriteEnd) {
  lab.close(writeFd, 'pipe', 'write');
} else {
  lab.note('Keeping the write end open: the child cannot tell that no more data will come.');
  // Give the child 3 s; it would wait for ever, so the parent ends it (the textbook's hang, made finite).
  const finished = await Promise.race([child.exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 3000))]);
  if (finished === null) {
    lab.note('After 3 s the child is still blocked in read(): with a write end open, end of file never comes. Ending it with SIGTERM.');
    child.kill('SIGTERM');
  }
}

const { code, signal } = await child.exited;
lab.note(signal ? `child ended by ${signal}` : `child exited with code ${code}`);
