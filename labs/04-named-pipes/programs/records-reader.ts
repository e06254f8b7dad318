/**
 * The reader of the "writers" scenario: one FIFO, several writers, one reader.
 *
 *   1. It creates the FIFO "records" and starts `writers` writers, which open it by its path.
 *   2. It opens the FIFO for reading, and also for writing: a reader that holds a write end itself
 *      never sees end of file while writers come and go (a FIFO server does the same). It knows how
 *      many bytes to expect instead.
 *   3. It waits before its first read, so the FIFO fills up and every writer is blocked in write().
 *   4. A FIFO keeps no boundaries, so it cuts the byte stream into pieces of `recordBytes` bytes, as
 *      the writers wrote them, and judges each piece: a whole record, or mixed (part of a record with
 *      another writer's bytes inside it). No byte is changed or lost on the way: a write of more
 *      than PIPE_BUF bytes may be split, and other writers' data may go in between its parts
 *      (pipe(7)). It reads in small reads of `readBytes`, so writers wake often while the FIFO is full.
 *   5. With `readerStopsAfter`, it stops early and closes: what is left in the FIFO is lost, and the
 *      writers' next write() fails with EPIPE.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { lab, type ChildProcessHandle } from '../../../main/runtime/lab-runtime.js';
import { PIPE_BUF, describePiece, recordId, wholeRecord } from './records.js';

const writers = lab.int('writers');
const records = lab.int('records');
const recordBytes = lab.int('recordBytes');
const readBytes = lab.int('readBytes');
const MAX_NOTES = 20;

const path = lab.mkfifo('records');
const children: ChildProcessHandle[] = [];
for (let writer = 1; writer <= writers; writer++) {
  children.push(lab.spawn('writer', 'record-writer.ts', { params: { ...lab.params, writerIndex: writer } }));
}
const fd = lab.open(path, 'records', 'read');
lab.traceFill(fd); // the FIFO's level after each read, from the kernel (FIONREAD)
const ownWriteEnd = lab.open(path, 'records', 'write');
lab.note(`holding a write end too: no end of file until all ${writers * records} records are read`);

lab.note(
  `records of ${recordBytes} bytes are ${recordBytes <= PIPE_BUF ? 'at most' : 'more than'} PIPE_BUF (${PIPE_BUF}); ` +
    `waiting ${lab.int('readerDelayMs')} ms, then until every writer is blocked on the full FIFO or done`,
);
lab.sleep(lab.int('readerDelayMs'));
const blocked = waitUntilWritersBlocked(children, 5000);
if (blocked > 0) lab.snapshot(`${blocked} writers asleep in the kernel's pipe write, the FIFO full`);

const piece = Buffer.alloc(recordBytes);
let whole = 0;
let mixed = 0;
let total = 0;
const stopAfter = lab.int('readerStopsAfter');
const pieces = stopAfter > 0 ? Math.min(stopAfter, writers * records) : writers * records;
for (let index = 1; index <= pieces; index++) {
  let filled = 0;
  while (filled < recordBytes) {
    const bytes = lab.read(fd, 'records', piece.subarray(filled, Math.min(recordBytes, filled + readBytes)));
    if (bytes === 0) throw new Error('unexpected end of file');
    filled += bytes;
  }
  total += filled;
  const record = wholeRecord(piece);
  if (record) {
    whole++;
    lab.emit('message.receive', {
      channel: 'records',
      messageId: recordId(record.writer, record.seq),
      bytes: recordBytes,
      text: `${String.fromCharCode(64 + record.writer)}#${record.seq}`,
    });
  } else {
    mixed++;
    if (mixed <= MAX_NOTES) lab.note(`piece ${index} mixes two writers: ${describePiece(piece)}`);
    if (mixed === MAX_NOTES + 1) lab.note('more mixed pieces follow; the counts come at the end');
  }
}
if (pieces < writers * records) {
  lab.note(`stopping after ${pieces} pieces: closing the FIFO with data still in it and writers still writing`);
}
// Closing the last read end: the kernel frees whatever is still in the FIFO, and a writer's next
// write() fails with EPIPE (pipe(7)).
lab.close(ownWriteEnd, 'records', 'write');
lab.close(fd, 'records', 'read');
await Promise.all(children.map((child) => child.exited));

lab.measure('bytes read', total, 'bytes');
lab.measure('records whole', whole, 'records');
lab.measure('pieces mixed', mixed, 'pieces', `pieces of ${recordBytes} bytes holding bytes of more than one record`);
unlinkSync(path);
lab.note(`unlink("${path}")`);

/**
 * Waits until each writer sleeps in the kernel's write to a pipe (its /proc/<pid>/wchan is pipe_write,
 * or anon_pipe_write on recent kernels: the FIFO is full) or has exited, for at most `limitMs` (a
 * kernel that hides wchan shows "0": then it waits that long and reads anyway). Returns how many
 * writers were seen blocked, or 0 when it gave up.
 */
function waitUntilWritersBlocked(writers: ChildProcessHandle[], limitMs: number): number {
  if (process.platform !== 'linux') {
    lab.note('no /proc here to see the writers blocked: reading after the delay alone');
    return 0;
  }
  const start = Date.now();
  for (;;) {
    const states = writers.map(({ pid }) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') return 'done';
        return /pipe_write/.test(readFileSync(`/proc/${pid}/wchan`, 'utf8')) ? 'blocked' : 'busy';
      } catch {
        return 'done'; // exited and reaped
      }
    });
    const blocked = states.filter((state) => state === 'blocked').length;
    if (!states.includes('busy')) {
      lab.note(blocked > 0 ? `${blocked} of ${writers.length} writers are blocked in write(): the FIFO is full` : 'every writer is done already');
      return blocked;
    }
    if (Date.now() - start > limitMs) {
      lab.note(`after ${limitMs} ms, ${blocked} of ${writers.length} writers are blocked in write(); reading now`);
      return 0;
    }
    lab.sleep(10);
  }
}
