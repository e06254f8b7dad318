/**
 * A mutex for processes, built from one shared 32-bit word and the futex system call.
 *
 * Algorithm: "mutex 2" of Ulrich Drepper's "Futexes Are Tricky" (2011). The state word is
 *   0 = unlocked, 1 = locked and nobody waits, 2 = locked and someone may be waiting.
 * - lock: compareExchange(0 → 1). If that worked, we own it without entering the kernel (the fast
 *   path: most locks are uncontended). Otherwise mark the mutex contended (1 → 2) and sleep with
 *   futex_wait(state, 2): the kernel puts us to sleep only if the word is *still* 2, checked atomically
 *   with going to sleep, so an unlock that happens in between is never lost. When woken, try
 *   compareExchange(0 → 2): we take it as "contended" because we cannot know whether others still sleep.
 * - unlock: add(state, -1). If the old value was 1, nobody waited: done, no system call. If it was 2,
 *   set it to 0 and futex_wake one sleeper.
 * Why 3 states: with only 0/1, unlock would have to call futex_wake every time, a system call even
 * when nobody waits. The price is an occasional needless wake (state 2 when the waiter already left).
 *
 * Memory layout (2 words, at any 4-aligned offset of a segment):
 *   offset + 0: state (0, 1, 2 as above)
 *   offset + 4: holder pid (0 when unlocked) — for diagnostics only; correctness never reads it.
 *
 * What can go wrong:
 * - The holder dies while holding the lock: nobody will ever unlock it. Linux offers "robust futexes"
 *   (the kernel notices and sets a bit), which Node cannot use; here a waiter checks, while it waits,
 *   whether the holder pid is still alive, and throws MutexOwnerDiedError naming it. The data the dead
 *   holder was changing may be half-updated: that is why the lock is not simply taken over.
 * - Between taking the lock and writing its pid, the holder pid is 0 for a moment: a holder that dies
 *   exactly then is reported as "unknown". Pids are also reused, eventually, by new processes.
 * - Unlocking from a process that does not hold it: refused (this is an "error-checking" mutex).
 */
import { readFileSync } from 'node:fs';
import type { SharedSegment } from './shared-segment.js';
import { NO_TRACE, type SyncOptions, type SyncTracer } from './sync-tracer.js';

const STATE = 0;
const HOLDER = 4;
const UNLOCKED = 0;
const LOCKED = 1;
const CONTENDED = 2;
/** While waiting, look at whether the holder is still alive this often. */
const LIVENESS_CHECK_MS = 100;

/** lock() gave up: the holder is alive but did not unlock within the timeout. */
export class MutexTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(
    readonly channel: string,
    readonly holderPid: number,
    readonly timeoutMs: number,
  ) {
    super(
      `${channel}: could not lock within ${timeoutMs} ms: ` +
        (holderPid ? `process ${holderPid} holds it and has not unlocked it` : 'it is held by a process that has not written its pid yet') +
        '. Fix: make the holder unlock sooner (is it waiting for something while holding the lock?), or wait longer.',
    );
    this.name = 'MutexTimeoutError';
  }
}

/** lock() gave up: the process holding the mutex is gone, and nobody will ever unlock it. */
export class MutexOwnerDiedError extends Error {
  readonly code = 'EOWNERDEAD';
  constructor(
    readonly channel: string,
    readonly holderPid: number,
  ) {
    super(
      `${channel}: process ${holderPid} died while holding this mutex; nobody will unlock it. ` +
        'The data it protected may be half-updated. Fix: unlock before exiting (try/finally), and start over with a fresh segment.',
    );
    this.name = 'MutexOwnerDiedError';
  }
}

/** Whether pid names a running process. A zombie (exited, not yet reaped by its parent) counts as dead. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only checks that the process exists
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: it exists but belongs to someone else.
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return process.platform !== 'linux'; // no /proc: trust kill(0); on Linux a missing entry means gone
  }
}

export class Mutex {
  /** How many 32-bit words a mutex occupies. */
  static readonly WORDS = 2;
  static readonly BYTES = Mutex.WORDS * 4;

  readonly channel: string;
  private readonly tracer: SyncTracer;

  private constructor(
    readonly segment: SharedSegment,
    readonly offset: number,
    options: SyncOptions,
  ) {
    if (offset % 4 !== 0) throw new RangeError(`a mutex must start at a 4-aligned offset, not ${offset}`);
    this.channel = options.channel ?? `mutex@${offset}`;
    this.tracer = options.tracer ?? NO_TRACE;
  }

  /** Writes an unlocked mutex at offset (do it once, before any process uses it) and returns it. */
  static init(segment: SharedSegment, offset: number, options: SyncOptions = {}): Mutex {
    const mutex = new Mutex(segment, offset, options);
    segment.store(offset + HOLDER, 0);
    segment.store(offset + STATE, UNLOCKED);
    return mutex;
  }

  /** The mutex another process initialised at offset. */
  static at(segment: SharedSegment, offset: number, options: SyncOptions = {}): Mutex {
    return new Mutex(segment, offset, options);
  }

  /** The pid of the process holding it, or 0. */
  get holderPid(): number {
    return this.segment.load(this.offset + HOLDER);
  }

  /** Takes the mutex if it is free, without waiting. */
  tryLock(): boolean {
    if (this.segment.compareExchange(this.offset + STATE, UNLOCKED, LOCKED) !== UNLOCKED) return false;
    this.segment.store(this.offset + HOLDER, process.pid);
    return true;
  }

  /**
   * Takes the mutex, sleeping while another process holds it. Throws MutexOwnerDiedError as soon as it
   * notices the holder is dead, MutexTimeoutError after timeoutMs.
   */
  lock(timeoutMs = 5000): void {
    const seg = this.segment;
    const state = this.offset + STATE;
    let c = seg.compareExchange(state, UNLOCKED, LOCKED);
    if (c === UNLOCKED) {
      seg.store(this.offset + HOLDER, process.pid); // fast path: no system call, no trace
      return;
    }
    const deadline = performance.now() + timeoutMs;
    let waitStart: bigint | undefined;
    try {
      do {
        // Mark it contended (unless it already is) and sleep while it stays contended.
        if (c === CONTENDED || seg.compareExchange(state, LOCKED, CONTENDED) !== UNLOCKED) {
          const remaining = deadline - performance.now();
          if (remaining <= 0) this.giveUp(timeoutMs);
          if (waitStart === undefined) {
            this.tracer.waitBegin(this.channel);
            waitStart = process.hrtime.bigint();
          }
          if (seg.wait(state, CONTENDED, Math.min(remaining, LIVENESS_CHECK_MS)) === 'timed-out') this.checkHolderAlive();
        }
        // Woken (or the word changed): try to take it, as "contended" since others may still sleep.
      } while ((c = seg.compareExchange(state, UNLOCKED, CONTENDED)) !== UNLOCKED);
    } catch (error) {
      if (waitStart !== undefined) {
        const outcome = error instanceof MutexOwnerDiedError ? 'owner-died' : 'timed-out';
        this.tracer.waitEnd(this.channel, process.hrtime.bigint() - waitStart, outcome, (error as Error).message);
      }
      throw error;
    }
    seg.store(this.offset + HOLDER, process.pid);
    if (waitStart !== undefined) this.tracer.waitEnd(this.channel, process.hrtime.bigint() - waitStart, 'ok');
  }

  /** Releases the mutex; wakes one waiter if there may be any. */
  unlock(): void {
    const seg = this.segment;
    const holder = seg.load(this.offset + HOLDER);
    if (holder !== process.pid) {
      throw new Error(
        `${this.channel}: process ${process.pid} tried to unlock a mutex it does not hold (` +
          (holder ? `process ${holder} holds it` : 'it is not locked') +
          '). Fix: unlock only after your own lock() returned, exactly once.',
      );
    }
    seg.store(this.offset + HOLDER, 0);
    if (seg.add(this.offset + STATE, -1) !== LOCKED) {
      // It was CONTENDED: someone may sleep on the word.
      seg.store(this.offset + STATE, UNLOCKED);
      seg.wake(this.offset + STATE, 1);
    }
  }

  /** Runs fn holding the mutex, and unlocks even if fn throws. */
  withLock<T>(fn: () => T, timeoutMs?: number): T {
    this.lock(timeoutMs);
    try {
      return fn();
    } finally {
      this.unlock();
    }
  }

  private checkHolderAlive(): void {
    const holder = this.holderPid;
    if (holder !== 0 && holder !== process.pid && !isProcessAlive(holder)) throw new MutexOwnerDiedError(this.channel, holder);
  }

  private giveUp(timeoutMs: number): never {
    this.checkHolderAlive();
    throw new MutexTimeoutError(this.channel, this.holderPid, timeoutMs);
  }
}
