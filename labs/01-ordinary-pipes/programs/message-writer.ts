/**
 * The parent of the "messages" scenario.
 *
 *   1. pipe() gives two descriptors: a read end and a write end of one kernel buffer.
 *   2. The child is started with the read end. By default it gets only that (at its descriptor 3);
 *      without childGetsPipe it gets nothing, and finds that calling pipe() itself makes a new pipe;
 *      with inheritAll it gets every descriptor the parent holds, at the same numbers, as a C child
 *      does after fork(): the write end too, which it must close itself.
 *   3. The parent closes its own copy of the read end: from now on it can only write.
 *   4. It writes one line per message, then closes the write end. read() returns 0 (end of file) only
 *      when the pipe is empty and no descriptor of its write end is open in any process (pipe(7)), so
 *      this close is how the reader learns that no more data will ever come.
 *   5. If the child has not finished 3 s later, end of file is not coming: a write end is still open
 *      somewhere (the parent's, or the child's own inherited copy). The parent asks the kernel view to
 *      look at both processes, then ends the child with SIGTERM (the textbook's hang, made finite).
 */
import { lab } from '../../../main/runtime/lab-runtime.js';

const messages = lab.int('messages');
const delayMs = lab.int('messageDelayMs');
const closeWriteEnd = lab.bool('closeWriteEnd');
const inheritAll = lab.bool('inheritAll');

const { readFd, writeFd } = lab.pipe('pipe');
lab.traceFill(writeFd); // the pipe's level after each write, from the kernel (FIONREAD)
const child = !lab.bool('childGetsPipe')
  ? lab.spawn('child', 'message-reader.ts', { fds: {} })
  : inheritAll
    ? // As after fork(): the child holds both ends, at the numbers they have here.
      lab.spawn('child', 'message-reader.ts', { fds: { pipe: readFd, pipeWrite: writeFd }, inherit: 'all' })
    : lab.spawn('child', 'message-reader.ts', { fds: { pipe: readFd } });
lab.close(readFd, 'pipe', 'read');
lab.snapshot('the parent has closed its read end and holds the write end');

for (let seq = 1; seq <= messages; seq++) {
  const text = `message ${seq} of ${messages}`;
  const data = Buffer.from(text + '\n');
  // Announced before the write, which can wake the reader: its message.receive is never stamped earlier.
  lab.emit('message.send', { channel: 'pipe', messageId: seq, bytes: data.length, text });
  try {
    lab.write(writeFd, 'pipe', data);
  } catch (error) {
    // EPIPE: no process holds a read end (the child was never handed one). Nothing more can go through.
    lab.note(`write failed with ${(error as NodeJS.ErrnoException).code}: no process holds a read end of this pipe.`);
    break;
  }
  lab.sleep(delayMs);
}

if (closeWriteEnd) lab.close(writeFd, 'pipe', 'write');
else lab.note('Keeping the write end open: the child cannot tell that no more data will come.');

let timer: NodeJS.Timeout | undefined;
const finished = await Promise.race([child.exited, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 3000)))]);
clearTimeout(timer);
if (finished === null) {
  // The child is still blocked in read(): let the kernel view record both processes as they are now.
  lab.snapshot('3 s after the last message, the child has not seen end of file');
  lab.note('After 3 s the child has not finished: it waits for an end of file that cannot come while a write end of its pipe is open. Ending it with SIGTERM.');
  child.kill('SIGTERM');
}

const { code, signal } = await child.exited;
lab.note(signal ? `child ended by ${signal}` : `child exited with code ${code}`);
if (!closeWriteEnd) lab.close(writeFd, 'pipe', 'write');
