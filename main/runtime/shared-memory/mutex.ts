/**
 * A mutex for processes, built from one shared 32-bit word and the futex system call.
 *
 * Algorithm: "mutex 2" of Ulrich Drepper's "Futexes Are Tricky" (2011), with the holder's pid as the
 * "locked" value. The word is
 *   0 = unlocked,  pid = locked by pid and nobody waits,  pid | WAITERS = locked and someone may wait.
 * - lock: compareExchange(0 → my pid). If that worked, we own it without entering the kernel (the fast
 *   path: most locks are uncontended, and it costs one atomic operation). Otherwise set the WAITERS bit
 *   and sleep with futex_wait(word, value seen): the kernel puts us to sleep only if the word *still*
 *   holds that value, checked atomically with going to sleep, so an unlock that happens in between is
 *   never lost. When woken, try compareExchange(0 → my pid | WAITERS): we take it as "may have waiters"
 *   because we cannot know whether others still sleep.
 * - unlock: compareExchange(my pid → 0). If that worked, nobody waited: done, no system call. If the
 *   word was my pid | WAITERS, set it to 0 and futex_wake one sleeper.
 * Why the WAITERS bit: without it, unlock would have to call futex_wake every time, a system call even
 * when nobody waits. The price is an occasional needless wake (the bit set when the waiter already left).
 * Why the pid in the word: a waiter can tell who holds the lock (and whether that process is still
 * alive), and unlock can refuse a process that does not hold it, all from the one word.
 *
 * Memory layout (1 word, at any 4-aligned offset of a segment):
 *   offset + 0: 0, or the holder's pid, with bit 30 (WAITERS) set when someone may be waiting.
 *   (Linux pids are below 2^22, so they never reach the WAITERS bit.)
 *
 * What can go wrong:
 * - The holder dies while holding the lock: nobody will ever unlock it. Linux offers "robust futexes"
 *   (the kernel notices and sets a bit), which Node cannot use; here a waiter checks, while it waits,
 *   whether the holder pid is still alive, and throws MutexOwnerDiedError naming it. The data the dead
 *   holder was changing may be half-updated: that is why the lock is not simply taken over. Pids are
 *   also reused, eventually, by new processes.
 * - Unlocking from a process that does not hold it: refused (this is an "error-checking" mutex).
 * - Locking it again from the process that holds it: refused too, instead of waiting for ever.
 */
import { readFileSync } from 'node:fs';
import type { SharedSegment } from './shared-segment.js';
import { NO_TRACE, type SyncOptions, type SyncTracer } from './sync-tracer.js';

const STATE = 0;
const UNLOCKED = 0;
/** Set in the word while someone may be asleep waiting for the mutex. */
const WAITERS = 0x40000000;
const PID_MASK = 0x3fffffff;
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
        `process ${holderPid} holds it and has not unlocked it` +
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
  static readonly WORDS = 1;
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
    segment.store(offset + STATE, UNLOCKED);
    return mutex;
  }

  /** The mutex another process initialised at offset. */
  static at(segment: SharedSegment, offset: number, options: SyncOptions = {}): Mutex {
    return new Mutex(segment, offset, options);
  }

  /** The pid of the process holding it, or 0. */
  get holderPid(): number {
    return this.segment.load(this.offset + STATE) & PID_MASK;
  }

  /** Takes the mutex if it is free, without waiting. */
  tryLock(): boolean {
    return this.segment.compareExchange(this.offset + STATE, UNLOCKED, process.pid) === UNLOCKED;
  }

  /**
   * Takes the mutex, sleeping while another process holds it. Throws MutexOwnerDiedError as soon as it
   * notices the holder is dead, MutexTimeoutError after timeoutMs.
   */
  lock(timeoutMs = 5000): void {
    const seg = this.segment;
    const word = this.offset + STATE;
    const me = process.pid;
    let c = seg.compareExchange(word, UNLOCKED, me);
    if (c === UNLOCKED) return; // fast path: no system call, no trace
    if ((c & PID_MASK) === me) {
      throw new Error(`${this.channel}: process ${me} already holds this mutex; locking it again would wait for ever. Fix: unlock it first (it is not recursive).`);
    }
    const deadline = performance.now() + timeoutMs;
    let waitStart: bigint | undefined;
    try {
      for (;;) {
        if (c === UNLOCKED) {
          // Free: take it, as "may have waiters" since others may still sleep.
          c = seg.compareExchange(word, UNLOCKED, me | WAITERS);
          if (c === UNLOCKED) break;
          continue;
        }
        if ((c & WAITERS) === 0) {
          // Tell the holder that someone waits, so that its unlock wakes us.
          const seen = seg.compareExchange(word, c, c | WAITERS);
          if (seen !== c) {
            c = seen;
            continue;
          }
          c |= WAITERS;
        }
        const remaining = deadline - performance.now();
        if (remaining <= 0) this.giveUp(timeoutMs, c & PID_MASK);
        if (waitStart === undefined) {
          this.tracer.waitBegin(this.channel);
          waitStart = process.hrtime.bigint();
        }
        if (seg.wait(word, c, Math.min(remaining, LIVENESS_CHECK_MS)) === 'timed-out') this.checkHolderAlive(c & PID_MASK);
        c = seg.load(word);
      }
    } catch (error) {
      if (waitStart !== undefined) {
        const outcome = error instanceof MutexOwnerDiedError ? 'owner-died' : 'timed-out';
        this.tracer.waitEnd(this.channel, process.hrtime.bigint() - waitStart, outcome, (error as Error).message);
      }
      throw error;
    }
    if (waitStart !== undefined) this.tracer.waitEnd(this.channel, process.hrtime.bigint() - waitStart, 'ok');
  }

  /** Releases the mutex; wakes one waiter if there may be any. */
  unlock(): void {
    const seg = this.segment;
    const word = this.offset + STATE;
    const me = process.pid;
    const c = seg.compareExchange(word, me, UNLOCKED);
    if (c === me) return; // nobody waited: no system call
    if ((c & PID_MASK) !== me) {
      throw new Error(
        `${this.channel}: process ${me} tried to unlock a mutex it does not hold (` +
          (c & PID_MASK ? `process ${c & PID_MASK} holds it` : 'it is not locked') +
          '). Fix: unlock only after your own lock() returned, exactly once.',
      );
    }
    seg.store(word, UNLOCKED);
    seg.wake(word, 1);
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

  private checkHolderAlive(holder: number): void {
    if (holder !== 0 && holder !== process.pid && !isProcessAlive(holder)) throw new MutexOwnerDiedError(this.channel, holder);
  }

  private giveUp(timeoutMs: number, holder: number): never {
    this.checkHolderAlive(holder);
    throw new MutexTimeoutError(this.channel, holder, timeoutMs);
  }
}
