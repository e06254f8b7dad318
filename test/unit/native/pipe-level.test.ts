/**
 * The addon's bytesInPipe (ioctl FIONREAD, pipe(7)) and pipeCapacity (fcntl F_GETPIPE_SZ) on a real
 * pipe and a real FIFO: the bytes written and not yet read, the same from either end, and the pipe's
 * size; F_GETPIPE_SZ refuses a regular file (where FIONREAD would count the bytes left to read in the
 * file, which is why lab.traceFill takes pipes and FIFOs only). The FIFO lives in a private
 * temporary directory, removed at the end.
 */
import assert from 'node:assert/strict';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { native } from '../../../main/native/index.js';

const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-test-pipe-level-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('bytesInPipe and pipeCapacity', () => {
  it('a pipe: the bytes written and not yet read, from either end, within its capacity', () => {
    const { readFd, writeFd } = native().pipe();
    try {
      assert.deepEqual([native().bytesInPipe(readFd), native().bytesInPipe(writeFd)], [0, 0]);
      writeSync(writeFd, Buffer.alloc(1000, 'x'));
      writeSync(writeFd, Buffer.alloc(3000, 'y'));
      assert.deepEqual([native().bytesInPipe(readFd), native().bytesInPipe(writeFd)], [4000, 4000]);
      assert.equal(readSync(readFd, Buffer.alloc(1500), 0, 1500, null), 1500);
      assert.equal(native().bytesInPipe(writeFd), 2500);
      const capacity = native().pipeCapacity(writeFd);
      assert.ok(capacity >= 4096 && capacity % 4096 === 0, `F_GETPIPE_SZ ${capacity} is whole pages`);
    } finally {
      closeSync(readFd);
      closeSync(writeFd);
    }
  });

  it('a FIFO: the same reading through its path', () => {
    const path = join(dir, 'level.fifo');
    native().mkfifo(path, 0o600);
    // O_RDWR: a FIFO opened both ways does not wait for another process (Linux, fifo(7)).
    const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
    try {
      writeSync(fd, Buffer.from('hello\n'));
      assert.equal(native().bytesInPipe(fd), 6);
      assert.ok(native().pipeCapacity(fd) >= 4096, 'a FIFO has a pipe buffer');
    } finally {
      closeSync(fd);
    }
  });

  it('F_GETPIPE_SZ refuses a descriptor that is no pipe (EBADF), naming the call', () => {
    const fd = openSync(join(dir, 'plain'), 'w');
    try {
      assert.throws(
        () => native().pipeCapacity(fd),
        (e: NodeJS.ErrnoException) => /F_GETPIPE_SZ/.test(e.message) && e.code === 'EBADF',
      );
    } finally {
      closeSync(fd);
    }
  });
});
