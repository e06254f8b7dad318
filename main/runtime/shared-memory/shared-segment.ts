/**
 * A POSIX shared-memory segment: the same physical pages mapped into several processes.
 *
 * One process creates it by name (shm_open + ftruncate + mmap, done in the native addon); the others
 * attach by name. On Linux the segment is a file in /dev/shm (`path`), which is how the kernel view
 * finds it. Whatever one process writes, the others can read at once: there is no message, no copy
 * through the kernel. That is the whole appeal, and the whole danger: nothing orders or protects the
 * accesses. The 32-bit atomics (load, store, add, compareExchange) and the futex calls (wait, wake)
 * are what mutex.ts, counting-semaphore.ts and ring-buffer.ts build order and protection from.
 *
 * Layout: none. Offsets are bytes from the start of the segment; words for atomics and futexes are
 * 4 bytes at an offset that is a multiple of 4. The segment is zero-filled when created.
 *
 * What can go wrong:
 * - A read and a write of the same bytes from two processes at once: the reader may see half of each.
 *   Separate calls are separate moments: `store(o, load(o) + 1)` is a race (see the counter lab).
 * - Forgetting unlink(): the segment outlives every process, until reboot. Detach unmaps it from this
 *   process only; unlink removes the name (mappings already made stay valid).
 * - The mapping is never handed to JavaScript (Electron forbids external ArrayBuffers): read, readInto
 *   and write copy bytes in and out. So a program here never "just loads" shared data: each access is
 *   a call into the addon, which copies. What it never does is ask the kernel to move the bytes:
 *   no read(2) or write(2) carries them (compare a pipe reader's rchar in /proc/<pid>/io).
 */
import { native } from '../../native/index.js';

export type WaitOutcome = 'ok' | 'not-equal' | 'timed-out';

export class SharedSegment {
  /** The file the kernel shows for this segment (Linux). */
  readonly path: string;

  private constructor(
    readonly name: string,
    readonly size: number,
    /** The addon's handle on this process's mapping (for the native measure loops, which work on it). */
    readonly handle: number,
  ) {
    this.path = '/dev/shm' + name;
  }

  /** Creates a new, zero-filled segment; throws EEXIST if the name is taken. Name: '/name'. */
  static create(name: string, size: number): SharedSegment {
    const handle = native().shmCreate(name, size);
    return new SharedSegment(name, native().shmSize(handle), handle);
  }

  /**
   * Maps an existing segment, at the size its creator gave it; throws ENOENT if there is none.
   * `mapping: 'private'` maps it MAP_PRIVATE (mmap(2)): copy-on-write, so this process's stores go to
   * its own copy of each page and never reach the others (to show why sharing needs MAP_SHARED).
   */
  static attach(name: string, mapping: 'shared' | 'private' = 'shared'): SharedSegment {
    const handle = native().shmAttach(name, mapping === 'private');
    return new SharedSegment(name, native().shmSize(handle), handle);
  }

  /** Removes a segment's name without mapping it (cleanup). */
  static unlink(name: string): void {
    native().shmUnlink(name);
  }

  /** Copies bytes in at offset. */
  write(offset: number, source: Uint8Array): void {
    native().shmWrite(this.handle, offset, source);
  }

  /** A copy of length bytes at offset. */
  read(offset: number, length: number): Buffer {
    return native().shmRead(this.handle, offset, length);
  }

  /** Fills all of target from offset (no allocation); returns the bytes copied. */
  readInto(offset: number, target: Uint8Array): number {
    return native().shmReadInto(this.handle, offset, target);
  }

  /** Reads the 32-bit word at offset, atomically. */
  load(offset: number): number {
    return native().atomicLoad(this.handle, offset);
  }

  /** Writes the 32-bit word at offset, atomically. */
  store(offset: number, value: number): void {
    native().atomicStore(this.handle, offset, value);
  }

  /** Adds delta to the word in one indivisible step; returns the value before. */
  add(offset: number, delta: number): number {
    return native().atomicAdd(this.handle, offset, delta);
  }

  /** If the word equals expected, replaces it; returns the value found either way. */
  compareExchange(offset: number, expected: number, replacement: number): number {
    return native().atomicCompareExchange(this.handle, offset, expected, replacement);
  }

  /**
   * Sleeps in the kernel while the word at offset equals expected (checked atomically with going to
   * sleep, so a wake between your check and this call is not lost), at most timeoutMs.
   * 'ok' can be spurious: always re-check the word.
   */
  wait(offset: number, expected: number, timeoutMs: number): WaitOutcome {
    return native().futexWait(this.handle, offset, expected, timeoutMs);
  }

  /** Wakes up to count processes waiting on the word at offset; returns how many woke. */
  wake(offset: number, count = 1): number {
    return native().futexWake(this.handle, offset, count);
  }

  /** sizeof(pthread_mutex_t): the bytes mutexInit needs. */
  static pthreadMutexBytes(): number {
    return native().mutexBytes();
  }

  // A pthread mutex placed in the segment (8-aligned offset): mutex.ts explains it and is what labs use.

  /** pthread_mutex_init: process-shared, error-checking, robust or not. */
  mutexInit(offset: number, robust: boolean): void {
    native().mutexInit(this.handle, offset, robust);
  }

  /** pthread_mutex_trylock (timeoutMs 0), _lock (Infinity) or _clocklock (CLOCK_MONOTONIC). */
  mutexLock(offset: number, timeoutMs: number): 'ok' | 'owner-died' | 'timed-out' | 'busy' {
    return native().mutexLock(this.handle, offset, timeoutMs);
  }

  /** pthread_mutex_consistent: after 'owner-died', the data is repaired. */
  mutexConsistent(offset: number): void {
    native().mutexConsistent(this.handle, offset);
  }

  /** pthread_mutex_unlock. */
  mutexUnlock(offset: number): void {
    native().mutexUnlock(this.handle, offset);
  }

  /** Unmaps the segment from this process. The object is unusable afterwards. */
  detach(): void {
    native().shmDetach(this.handle);
  }

  /** Removes the segment's name (shm_unlink). Processes that mapped it keep their mapping. */
  unlink(): void {
    native().shmUnlink(this.name);
  }
}
