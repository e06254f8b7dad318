/**
 * A writer of the "writers" scenario (the reader starts several). It opens the reader's FIFO by its
 * path and writes `records` records of `recordBytes` bytes, each with one write() call. When the FIFO
 * is full, write() blocks; a write of more than PIPE_BUF bytes may then be left half done while
 * another writer's data goes in (see records.ts for the record layout).
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { letterOf, makeRecord, recordId } from './records.js';

const writer = lab.int('writerIndex');
const records = lab.int('records');
const recordBytes = lab.int('recordBytes');
const letter = letterOf(writer);

const fd = lab.open(lab.fifoPath('records'), 'records', 'write');
lab.traceFill(fd); // the FIFO's level after each write, from the kernel (FIONREAD)
for (let seq = 1; seq <= records; seq++) {
  const record = makeRecord(writer, seq, recordBytes);
  // Traced before the write, which may wake the reader.
  lab.emit('message.send', { channel: 'records', messageId: recordId(writer, seq), bytes: record.length, text: `${letter}#${seq}` });
  try {
    lab.write(fd, 'records', record);
  } catch (error) {
    // The reader closed the FIFO: nobody will ever read, and the kernel says so (pipe(7)). Node
    // ignores SIGPIPE, so the write fails with EPIPE instead of killing the process.
    if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error;
    lab.note(`write() of record ${seq} failed with EPIPE: no reader has the FIFO open any more`);
    break;
  }
}
lab.close(fd, 'records', 'write');
