/**
 * The writer of the "two-programs" scenario. It has no descriptor from the reader and is not its
 * child: it knows only the FIFO's path. It waits until the path exists, opens it for writing (which
 * blocks until a reader has it open), writes one line per message and closes its end, which is how
 * the reader learns that no more data will come.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { waitForFifo } from './find-fifo.js';

const messages = lab.int('messages');
const delayMs = lab.int('messageDelayMs');

const path = waitForFifo('chat');
const fd = lab.open(path, 'chat', 'write');

for (let seq = 1; seq <= messages; seq++) {
  const text = `message ${seq} of ${messages} from pid ${process.pid}`;
  const data = Buffer.from(text + '\n');
  // Traced before the write, which may wake the reader: its receive must never come before this send.
  lab.emit('message.send', { channel: 'chat', messageId: seq, bytes: data.length, text });
  lab.write(fd, 'chat', data);
  // While this process surely holds its descriptor (the reader holds its own: it is reading).
  if (seq === 1) lab.snapshot('the writer has written its first message into the FIFO');
  if (seq < messages) lab.sleep(delayMs);
}
lab.close(fd, 'chat', 'write');
