/**
 * The addon's shared-memory calls on real POSIX segments: round trips, the errors a student will meet
 * (bounds, alignment, detached handles, EEXIST), atomics and futex outcomes. Every segment is unlinked;
 * the last test checks /dev/shm.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { native } from '../../../main/native/index.js';

const prefix = `ipc-lab-test-${process.pid}-`;
let counter = 0;
const made: string[] = [];
function freshName(): string {
  const name = `/${prefix}${++counter}`;
  made.push(name);
  return name;
}
function cleanup(name: string): void {
  try {
    native().shmUnlink(name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

after(() => {
  for (const name of made) cleanup(name);
});

describe('shared-memory segments (native)', () => {
  it('create, write, attach elsewhere, read back; size comes from the creator', () => {
    const name = freshName();
    const a = native().shmCreate(name, 10_000);
    assert.equal(native().shmSize(a), 10_000);
    assert.equal(statSync('/dev/shm' + name).size, 10_000, 'the segment is a file in /dev/shm of that size');
    assert.deepEqual([...native().shmRead(a, 0, 8)], [0, 0, 0, 0, 0, 0, 0, 0], 'a new segment is zero-filled');

    const payload = Buffer.from('shared pages, no message');
    native().shmWrite(a, 9_000, payload);
    const b = native().shmAttach(name);
    assert.notEqual(b, a);
    assert.equal(native().shmSize(b), 10_000);
    assert.deepEqual(native().shmRead(b, 9_000, payload.length), payload, 'the second mapping sees the same memory');

    // readInto fills a JS-allocated array (no external buffer); a subarray lands at its own offset.
    const target = new Uint8Array(40).fill(0xee);
    assert.equal(native().shmReadInto(b, 9_000, target.subarray(4, 4 + payload.length)), payload.length);
    assert.deepEqual(Buffer.from(target.subarray(4, 4 + payload.length)), payload);
    assert.equal(target[3], 0xee);
    assert.equal(target[4 + payload.length], 0xee);

    // A write through b is seen through a; a read is a copy, not a view.
    const copy = native().shmRead(a, 9_000, 4);
    native().shmWrite(b, 9_000, Buffer.from('SHAR'));
    assert.equal(native().shmRead(a, 9_000, 6).toString(), 'SHARed');
    assert.equal(copy.toString(), 'shar');

    native().shmDetach(a);
    native().shmDetach(b);
    native().shmUnlink(name);
    assert.equal(existsSync('/dev/shm' + name), false);
  });

  it('out-of-bounds and unaligned offsets throw a RangeError naming the offset, the size and the fix', () => {
    const name = freshName();
    const h = native().shmCreate(name, 64);
    try {
      assert.throws(
        () => native().shmRead(h, 60, 8),
        (e: NodeJS.ErrnoException) => {
          assert.ok(e instanceof RangeError, 'e instanceof RangeError');
          assert.equal(e.code, 'ERR_OUT_OF_RANGE');
          assert.match(e.message, /offset 60 \+ length 8/);
          assert.match(e.message, /size 64 bytes/);
          assert.match(e.message, /Fix: keep offset \+ length <= 64/);
          return true;
        },
      );
      assert.throws(() => native().shmWrite(h, 65, new Uint8Array(0)), /offset 65 \+ length 0 .*size 64/);
      assert.throws(() => native().shmReadInto(h, 0, new Uint8Array(65)), RangeError);
      assert.throws(() => native().atomicLoad(h, 64), /offset 64 \+ length 4 .*size 64/);
      assert.throws(
        () => native().atomicAdd(h, 6, 1),
        (e: NodeJS.ErrnoException) => {
          assert.ok(e instanceof RangeError, 'e instanceof RangeError');
          assert.equal(e.code, 'ERR_UNALIGNED');
          assert.match(e.message, /offset 6 .*size 64 bytes.*not 4-byte aligned.*Fix: use offset 4 or 8/);
          return true;
        },
      );
      assert.throws(() => native().futexWait(h, 2, 0, 10), { code: 'ERR_UNALIGNED' });
      assert.throws(() => native().shmRead(h, -1, 1), TypeError);
      // The edge itself is fine.
      native().shmWrite(h, 60, Buffer.from([1, 2, 3, 4]));
      assert.equal(native().atomicLoad(h, 60), 0x04030201);
    } finally {
      native().shmDetach(h);
      native().shmUnlink(name);
    }
  });

  it('a detached handle throws an error that names the handle and the segment', () => {
    const name = freshName();
    const h = native().shmCreate(name, 16);
    native().shmDetach(h);
    for (const call of [() => native().shmSize(h), () => native().atomicLoad(h, 0), () => native().shmDetach(h)]) {
      assert.throws(call, (e: NodeJS.ErrnoException) => {
        assert.equal(e.code, 'EBADF');
        assert.match(e.message, new RegExp(`handle ${h} \\('${name}'\\) was detached`));
        return true;
      });
    }
    assert.throws(() => native().shmSize(999_999), /handle 999999 does not exist/);
    native().shmUnlink(name);
  });

  it('bad names and double create: EINVAL-style TypeError, EEXIST; attach to a missing name: ENOENT', () => {
    for (const bad of ['no-slash', '/', '/a/b', '/' + 'x'.repeat(255)]) {
      assert.throws(() => native().shmCreate(bad, 8), { name: 'TypeError', code: 'EINVAL' }, bad);
    }
    const name = freshName();
    const h = native().shmCreate(name, 8);
    assert.throws(() => native().shmCreate(name, 8), { code: 'EEXIST', syscall: 'shm_open' });
    native().shmDetach(h);
    native().shmUnlink(name);
    assert.throws(() => native().shmAttach(name), { code: 'ENOENT' });
    assert.throws(() => native().shmUnlink(name), { code: 'ENOENT', syscall: 'shm_unlink' });
    assert.throws(() => native().shmCreate(freshName(), 0), RangeError);
  });

  it('atomics: load, store, add (returns the previous value, wraps), compare-exchange', () => {
    const name = freshName();
    const h = native().shmCreate(name, 16);
    try {
      native().atomicStore(h, 4, -5);
      assert.equal(native().atomicLoad(h, 4), -5, 'values are signed 32-bit');
      assert.equal(native().atomicAdd(h, 4, 7), -5);
      assert.equal(native().atomicLoad(h, 4), 2);
      native().atomicStore(h, 8, 0x7fffffff);
      assert.equal(native().atomicAdd(h, 8, 1), 0x7fffffff);
      assert.equal(native().atomicLoad(h, 8), -0x80000000, 'int32 overflow wraps');
      assert.equal(native().atomicCompareExchange(h, 4, 3, 100), 2, 'mismatch: returns the value found');
      assert.equal(native().atomicLoad(h, 4), 2, 'and leaves the word alone');
      assert.equal(native().atomicCompareExchange(h, 4, 2, 100), 2);
      assert.equal(native().atomicLoad(h, 4), 100);
      // The words are little-endian int32 in the bytes.
      assert.deepEqual([...native().shmRead(h, 4, 4)], [100, 0, 0, 0]);
    } finally {
      native().shmDetach(h);
      native().shmUnlink(name);
    }
  });

  it("futexWait: 'not-equal' at once, 'timed-out' after its timeout; futexWake with nobody waiting wakes 0", () => {
    const name = freshName();
    const h = native().shmCreate(name, 8);
    try {
      native().atomicStore(h, 0, 1);
      let start = process.hrtime.bigint();
      assert.equal(native().futexWait(h, 0, 0, 5_000), 'not-equal');
      assert.ok(process.hrtime.bigint() - start < 1_000_000_000n, 'not-equal does not sleep');

      start = process.hrtime.bigint();
      assert.equal(native().futexWait(h, 0, 1, 120), 'timed-out');
      const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
      assert.ok(elapsedMs >= 115 && elapsedMs < 2_000, `timed out after ${elapsedMs} ms`);
      assert.equal(native().futexWait(h, 0, 1, 0), 'timed-out', 'a zero timeout only checks');

      assert.equal(native().futexWake(h, 0, 1), 0);
      assert.throws(() => native().futexWait(h, 0, 1, Number.NaN), TypeError);
    } finally {
      native().shmDetach(h);
      native().shmUnlink(name);
    }
  });

  it('shmAttach private: MAP_PRIVATE reads the segment until its first store, which stays its own (copy-on-write)', () => {
    const name = freshName();
    const shared = native().shmCreate(name, 4096);
    const mine = native().shmAttach(name, true);
    try {
      native().atomicStore(shared, 0, 7);
      assert.equal(native().atomicLoad(mine, 0), 7, 'before its first store, the private mapping sees the segment');
      native().atomicStore(mine, 4, 99);
      assert.equal(native().atomicLoad(shared, 4), 0, "the private mapping's store does not reach the segment");
      native().atomicStore(shared, 0, 8);
      assert.equal(native().atomicLoad(mine, 0), 7, 'after its first store the page is its own copy');
      const maps = readFileSync('/proc/self/maps', 'utf8')
        .split('\n')
        .filter((l) => l.endsWith('/dev/shm' + name));
      assert.deepEqual(maps.map((l) => l.split(/\s+/)[1]).sort(), ['rw-p', 'rw-s']);
      assert.throws(() => native().shmAttach(name, 1 as unknown as boolean), TypeError);
    } finally {
      native().shmDetach(shared);
      native().shmDetach(mine);
      native().shmUnlink(name);
    }
  });

  it('pthread mutexes in a segment: init, trylock, EDEADLK, EPERM, clocklock timeout, alignment', () => {
    const name = freshName();
    const h = native().shmCreate(name, 128);
    try {
      assert.equal(native().mutexBytes(), 40, 'sizeof(pthread_mutex_t) on x86_64 glibc');
      assert.throws(() => native().mutexInit(h, 4, true), { code: 'ERR_UNALIGNED' });
      assert.throws(() => native().mutexInit(h, 96, true), { code: 'ERR_OUT_OF_RANGE' });
      native().mutexInit(h, 8, true);
      assert.equal(native().mutexLock(h, 8, 0), 'ok');
      assert.throws(() => native().mutexLock(h, 8, 0), { code: 'EDEADLK' }, 'error-checking: the holder may not lock it again');
      assert.throws(() => native().mutexLock(h, 8, 50), { code: 'EDEADLK' });
      native().mutexUnlock(h, 8);
      assert.throws(() => native().mutexUnlock(h, 8), { code: 'EPERM' }, 'nobody holds it');
      assert.throws(() => native().mutexConsistent(h, 8), { code: 'EINVAL' }, 'consistent only after EOWNERDEAD');
      assert.equal(native().mutexLock(h, 8, Infinity), 'ok');
      native().mutexUnlock(h, 8);
      assert.throws(() => native().mutexLock(h, 8, Number.NaN), TypeError);
    } finally {
      native().shmDetach(h);
      native().shmUnlink(name);
    }
  });

  it('leaves nothing in /dev/shm', () => {
    for (const name of made) cleanup(name);
    assert.deepEqual(
      readdirSync('/dev/shm').filter((f) => f.startsWith(prefix)),
      [],
    );
  });
});
