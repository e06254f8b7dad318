/**
 * The writer of the "two-programs" scenario. It has no descriptor from the reader and is not its
 * child: it knows only the FIFO's path. It waits until the path exists, opens it for writing (which
 * blocks until a reader has it open), writes one line per message and closes its end, which is how
 * the reader learns that no more data will come.
 *
 * With channel "pipe" there is no path to look for: an ordinary pipe has no name. The writer the
 * engine started says so and exits; the reader starts a writer of its own, its child, and hands it
 * the pipe's write end (lab.fd('chat')).
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { waitForFifo } from './find-fifo.js';

const messages = lab.int('messages');
const delayMs = lab.int('messageDelayMs');

let fd: number;
if (lab.choice('channel') === 'pipe') {
  if (!lab.has('handedPipe')) {
    lab.note(
      'the reader makes an ordinary pipe: it has no name in the file system, so there is nothing to look for. Exiting; the reader starts a writer of its own',
    );
    process.exit(0);
  }
  fd = lab.fd('chat');
} else {
  fd = lab.open(waitForFifo('chat'), 'chat', 'write');
}
lab.traceFill(fd); // the FIFO's level after each write, from the kernel (FIONREAD)

for (let seq = 1; seq <= messages; seq++) {
  const text = `message ${seq} of ${messages} from pid ${process.pid}`;
  const data = Buffer.from(text + '\n');
  // Traced before the write, which may wake the reader: its receive must never come before this send.
  lab.emit('message.send', { channel: 'chat', messageId: seq, bytes: data.length, text });
  lab.write(fd, 'chat', data);
  // While this process surely holds its descriptor (the reader holds its own: it is reading).
  if (seq === 1) lab.snapshot('the writer has written its first message');
  if (seq < messages) lab.sleep(delayMs);
}
lab.close(fd, 'chat', 'write');
