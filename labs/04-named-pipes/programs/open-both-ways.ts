/**
 * open(path, O_RDWR) on a FIFO: one descriptor that both reads and writes.
 *
 * POSIX leaves this undefined; Linux allows it, and the open returns at once, blocking or not: the
 * process counts as a reader and as a writer, so it never waits for a partner (fifo(7); fs/pipe.c,
 * fifo_open, case FMODE_READ | FMODE_WRITE). The kernel does not stop anyone from writing into a FIFO
 * "the wrong way": a FIFO has no direction, only one buffer.
 *
 * lab.open offers O_RDONLY and O_WRONLY only, so this one is traced by hand, the same way.
 */
import { constants, fstatSync, openSync } from 'node:fs';
import { lab } from '../../../main/runtime/lab-runtime.js';

export function openBothWays(path: string, channel: string): number {
  lab.emit('io.begin', { op: 'open', channel, bytes: 0 });
  lab.flush();
  const start = process.hrtime.bigint();
  const fd = openSync(path, constants.O_RDWR);
  lab.emit('io.end', { op: 'open', channel, bytes: 0, durationNs: (process.hrtime.bigint() - start).toString() });
  lab.emit('object.open', { channel, object: { type: 'fifo', name: path, inode: fstatSync(fd).ino }, detail: `fd ${fd}, O_RDWR` });
  return fd;
}
