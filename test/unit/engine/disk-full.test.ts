/** Which failures the store takes for a full disk, and what it then says (event-store.ts). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DiskFullError, isDiskFull } from '../../../main/engine/event-store.js';

describe('isDiskFull', () => {
  test('SQLite FULL and I/O errors, ENOSPC and EDQUOT are a full disk', () => {
    for (const code of ['SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_IOERR_WRITE', 'SQLITE_IOERR_SHMSIZE', 'SQLITE_IOERR_FSYNC', 'ENOSPC', 'EDQUOT'])
      assert.equal(isDiskFull(Object.assign(new Error(code), { code })), true, code);
  });

  test('anything else is not: a constraint, a busy database, a missing folder, no code at all', () => {
    for (const error of [
      Object.assign(new Error(), { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' }),
      Object.assign(new Error(), { code: 'SQLITE_BUSY' }),
      Object.assign(new Error(), { code: 'ENOENT' }),
      new Error('plain'),
      'a string',
      null,
    ])
      assert.equal(isDiskFull(error), false, String(error));
  });
});

test('DiskFullError names the disk by the data folder and says what to do', () => {
  const error = new DiskFullError('/home/student/.local/share/ipc-lab');
  assert.equal(error.code, 'disk-full');
  assert.equal(error.message, 'The disk holding /home/student/.local/share/ipc-lab is full; free space or set IPC_LAB_HOME elsewhere.');
  assert.match(error.fix, /IPC_LAB_HOME/);
});
