/**
 * A consumer of the "synchronisation" scenario: takes items from the textbook ring until it takes
 * END, or reads 64-byte records from the pipe until end of file (every producer closed its end),
 * pausing 2 ms per item.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';
import { ITEM_BYTES, TextbookBuffer } from './sync-buffer.js';
import { END, itemIdOf } from './sync-items.js';

const overPipe = lab.choice('carrier') === 'pipe';
const channel = overPipe ? 'pipe' : 'buffer';
const received = (bytes: Buffer) => {
  const text = bytes.toString('utf8').replace(/\0/g, '').trimEnd();
  lab.emit('message.receive', { channel, messageId: itemIdOf(text), bytes: bytes.length, text: text || '(an empty slot: nothing was written there)' });
  lab.sleep(2);
};
if (overPipe) {
  const fd = lab.fd('pipe');
  const record = Buffer.alloc(ITEM_BYTES);
  // Each read asks for one record: the pipe holds whole records only, so it returns one (or 0 at EOF).
  for (let n = lab.read(fd, 'pipe', record); n > 0; n = lab.read(fd, 'pipe', record)) received(Buffer.from(record.subarray(0, n)));
  lab.close(fd, 'pipe', 'read');
} else {
  const segment = SharedSegment.attach(lab.shmName('buffer'));
  lab.emit('object.open', { channel, object: { type: 'shm', name: segment.path } });
  const buffer = TextbookBuffer.attach(segment, lab, 'none');
  for (;;) {
    const item = buffer.get();
    if (item.toString('utf8').trimEnd() === END) break;
    received(item);
  }
  segment.detach();
}
