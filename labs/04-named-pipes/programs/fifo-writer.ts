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
  const bytes = lab.write(fd, 'chat', Buffer.from(text + '\n'));
  lab.emit('message.send', { channel: 'chat', messageId: seq, bytes, text });
  if (seq < messages) lab.sleep(delayMs);
}
lab.close(fd, 'chat', 'write');
