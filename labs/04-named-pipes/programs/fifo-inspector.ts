/**
 * The inspector of the "lifetime" scenario, started after the writer and the reader have exited.
 *
 *   1. stat(): the FIFO is still there, a file of type p. Its name lives in the file system until
 *      someone unlinks it, like any file's. (If the reader unlinked it, stat fails with ENOENT and
 *      the inspector has nothing to look at.)
 *   2. It opens it with O_NONBLOCK (so the open does not wait for a writer) and reads: nothing. A FIFO
 *      stores no data in the file system; the kernel buffer, and the messages the reader left in it,
 *      went away when the last process that had the FIFO open closed it.
 *   3. With `unlink`, it removes the name; opening the path then fails with ENOENT.
 */
import { constants, fstatSync, openSync, statSync, unlinkSync } from 'node:fs';
import { lab } from '../../../main/runtime/lab-runtime.js';

const path = lab.fifoPath('mailbox');

let stat;
try {
  stat = statSync(path);
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== 'ENOENT') throw error;
  lab.note(`stat("${path}") failed with ENOENT: someone unlinked the FIFO before the inspector came`);
  process.exit(0);
}
const permissions = [...'rwxrwxrwx'].map((letter, i) => (stat.mode & (0o400 >> i) ? letter : '-')).join('');
lab.note(`stat("${path}"): ${stat.isFIFO() ? 'p' : '?'}${permissions}, ${stat.size} bytes, inode ${stat.ino}`);
lab.measure('st_size', stat.size, 'bytes', stat.isFIFO() ? 'S_ISFIFO: a named pipe' : 'not a FIFO');

// lab.open would block until a writer comes; O_NONBLOCK returns at once. Traced the same way by hand.
lab.emit('io.begin', { op: 'open', channel: 'mailbox', bytes: 0 });
const start = process.hrtime.bigint();
const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
lab.emit('io.end', { op: 'open', channel: 'mailbox', bytes: 0, durationNs: (process.hrtime.bigint() - start).toString() });
lab.emit('object.open', { channel: 'mailbox', object: { type: 'fifo', name: path, inode: fstatSync(fd).ino }, detail: `fd ${fd}, O_RDONLY | O_NONBLOCK` });
const left = lab.read(fd, 'mailbox', Buffer.alloc(4096));
lab.measure('bytes left in the FIFO', left, 'bytes', 'read() with no writer: 0 is end of file');
lab.close(fd, 'mailbox', 'read');

if (lab.bool('unlink')) {
  unlinkSync(path);
  lab.note(`unlink("${path}"): the name is gone`);
  try {
    lab.open(path, 'mailbox', 'read');
  } catch (error) {
    lab.note(`opening the path again fails with ${(error as NodeJS.ErrnoException).code}`);
  }
} else {
  lab.note('leaving the FIFO in place: the host removes the run directory, and whatever is left in it, when the run ends');
}
