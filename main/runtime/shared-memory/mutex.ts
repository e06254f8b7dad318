/**
 * A mutex for processes: a POSIX pthread mutex that lives in the shared segment, made
 * process-shared and robust, so that the kernel itself tells the others when its holder dies.
 *
 * How it works (glibc and Linux; the calls are in the native addon, this class adds the tracing):
 * - The mutex is a futex word plus bookkeeping (pthread_mutex_t, 40 bytes on x86_64). Locking an
 *   unlocked mutex is one atomic compare-and-swap that writes the caller's thread id into the word:
 *   no system call. Only a process that finds it locked enters the kernel, with futex(FUTEX_WAIT),
 *   and unlock calls futex(FUTEX_WAKE) only when the word says someone waits. This is the algorithm
 *   of Drepper's "Futexes Are Tricky", with the owner's thread id in the word.
 * - PTHREAD_PROCESS_SHARED (pthread_mutexattr_setpshared(3)): the futex is keyed by the page it sits
 *   in, not by the process, so processes that map the segment at different addresses meet on it.
 * - PTHREAD_MUTEX_ROBUST (pthread_mutexattr_setrobust(3)): every thread has a "robust list"
 *   registered with the kernel (set_robust_list(2)), and glibc puts each robust mutex the thread
 *   holds on it. When a thread ends, however it ends (SIGKILL too), the kernel walks that list
 *   (exit_robust_list and handle_futex_death in kernel/futex/core.c), sets FUTEX_OWNER_DIED in every
 *   word the dead thread still owned, and wakes one waiter. That waiter's lock returns EOWNERDEAD:
 *   it now holds the mutex, but the data the dead holder was changing may be half-updated.
 * - The new holder repairs the data and calls pthread_mutex_consistent(3): from then on the mutex
 *   works as before. Here that is lock()'s `onOwnerDied(deadPid)` callback. Without it, lock()
 *   unlocks without repairing, which makes the mutex unusable for good: every later lock fails with
 *   ENOTRECOVERABLE (MutexNotRecoverableError), instead of letting anyone use half-updated data.
 * - PTHREAD_MUTEX_ERRORCHECK: locking it again from the holder fails (EDEADLK) instead of waiting for
 *   ever, and unlocking it from a process that does not hold it fails (EPERM).
 * - `robust: false` gives the POSIX default (PTHREAD_MUTEX_STALLED): when the holder dies, nobody is
 *   told, and the waiters wait until their timeout (MutexTimeoutError).
 *
 * Memory layout (Mutex.BYTES = 48 bytes, at an 8-aligned offset of a segment):
 *   offset + 0: the pid of the process holding it, or 0. This class writes it after lock() succeeds
 *               and clears it before unlock: it only names the holder in messages (the pthread
 *               mutex keeps its own owner, which the kernel clears when that owner dies).
 *   offset + 4: unused
 *   offset + 8: the pthread_mutex_t (40 bytes)
 *
 * What can still go wrong:
 * - A lock and its unlock must happen on the same thread (the robust list is per thread): lab
 *   programs have one.
 * - A process that dies between lock() returning and storing its pid here is named "unknown" in the
 *   EOWNERDEAD message; the kernel's part does not depend on that word.
 */
import { SharedSegment } from './shared-segment.js';
import { NO_TRACE, type SyncOptions, type SyncTracer } from './sync-tracer.js';

const HOLDER = 0;
const PTHREAD_MUTEX = 8;

/** lock() gave up: the mutex stayed locked for the whole timeout. */
export class MutexTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(
    readonly channel: string,
    readonly holderPid: number,
    readonly timeoutMs: number,
  ) {
    super(
      `${channel}: could not lock within ${timeoutMs} ms: ` +
        (holderPid ? `process ${holderPid} holds it and has not unlocked it` : 'another process holds it') +
        '. Fix: make the holder unlock sooner (is it waiting for something while holding the lock? did it die, with a mutex that is not robust?), or wait longer.',
    );
    this.name = 'MutexTimeoutError';
  }
}

/**
 * lock() got EOWNERDEAD (the holder died with the mutex locked) and no `onOwnerDied` repair was
 * given: the mutex was unlocked unrepaired, and is now unusable (ENOTRECOVERABLE) for every process.
 */
export class MutexOwnerDiedError extends Error {
  readonly code = 'EOWNERDEAD';
  constructor(
    readonly channel: string,
    readonly holderPid: number,
  ) {
    super(
      `${channel}: ${holderPid ? `process ${holderPid}` : 'a process'} died while holding this mutex (EOWNERDEAD: the kernel marked it). ` +
        'The data it protected may be half-updated, and nothing repaired it, so the mutex is now unusable. ' +
        'Fix: unlock before exiting (try/finally), or pass lock() an onOwnerDied that repairs the data.',
    );
    this.name = 'MutexOwnerDiedError';
  }
}

/** lock() failed with ENOTRECOVERABLE: an earlier EOWNERDEAD was never repaired. */
export class MutexNotRecoverableError extends Error {
  readonly code = 'ENOTRECOVERABLE';
  constructor(readonly channel: string) {
    super(
      `${channel}: this mutex is not recoverable (ENOTRECOVERABLE): its holder died, and the process that got EOWNERDEAD unlocked it without ` +
        'repairing the data (pthread_mutex_consistent). Fix: start over with a fresh segment, and repair in onOwnerDied.',
    );
    this.name = 'MutexNotRecoverableError';
  }
}

export interface MutexOptions extends SyncOptions {
  /** Robust (default): the kernel tells the next locker that the holder died. false: POSIX's default, it does not. */
  robust?: boolean;
}

/** Called holding the mutex, after its previous holder died holding it: repair the data it protects. */
export type OwnerDiedRepair = (deadPid: number) => void;

export class Mutex {
  /** Bytes a mutex occupies (its offset must be a multiple of 8). */
  static get BYTES(): number {
    return (Mutex.bytes ??= PTHREAD_MUTEX + Math.ceil(SharedSegment.pthreadMutexBytes() / 8) * 8);
  }
  private static bytes: number | undefined;

  readonly channel: string;
  private readonly tracer: SyncTracer;
  private readonly pthreadMutex: number;

  private constructor(
    readonly segment: SharedSegment,
    readonly offset: number,
    options: SyncOptions,
  ) {
    if (offset % 8 !== 0) throw new RangeError(`a mutex must start at an 8-aligned offset, not ${offset}`);
    this.channel = options.channel ?? `mutex@${offset}`;
    this.tracer = options.tracer ?? NO_TRACE;
    this.pthreadMutex = offset + PTHREAD_MUTEX;
  }

  /** Writes an unlocked mutex at offset (do it once, before any process uses it) and returns it. */
  static init(segment: SharedSegment, offset: number, options: MutexOptions = {}): Mutex {
    const mutex = new Mutex(segment, offset, options);
    segment.store(offset + HOLDER, 0);
    segment.mutexInit(mutex.pthreadMutex, options.robust ?? true);
    return mutex;
  }

  /** The mutex another process initialised at offset. */
  static at(segment: SharedSegment, offset: number, options: SyncOptions = {}): Mutex {
    return new Mutex(segment, offset, options);
  }

  /** The pid of the process holding it, or 0 (as this class records it: see the layout). */
  get holderPid(): number {
    return this.segment.load(this.offset + HOLDER);
  }

  /** Takes the mutex if it is free, without waiting. */
  tryLock(onOwnerDied?: OwnerDiedRepair): boolean {
    const outcome = this.attempt(0);
    if (outcome === 'busy') return false;
    if (outcome === 'owner-died') this.ownerDied(onOwnerDied);
    this.segment.store(this.offset + HOLDER, process.pid);
    return true;
  }

  /**
   * Takes the mutex, sleeping while another process holds it; MutexTimeoutError after timeoutMs.
   * If the holder died holding it (EOWNERDEAD), this process holds it now: `onOwnerDied` repairs the
   * data and the mutex is marked consistent; without it, MutexOwnerDiedError (and the mutex is unusable).
   */
  lock(timeoutMs = 5000, onOwnerDied?: OwnerDiedRepair): void {
    let outcome = this.attempt(0); // fast path: one atomic operation, no system call, no trace
    if (outcome === 'busy') {
      this.tracer.waitBegin(this.channel);
      const start = process.hrtime.bigint();
      try {
        outcome = this.attempt(timeoutMs);
      } catch (error) {
        this.tracer.waitEnd(this.channel, process.hrtime.bigint() - start, 'timed-out', (error as Error).message);
        throw error;
      }
      const waited = process.hrtime.bigint() - start;
      if (outcome === 'timed-out') {
        const error = new MutexTimeoutError(this.channel, this.holderPid, timeoutMs);
        this.tracer.waitEnd(this.channel, waited, 'timed-out', error.message);
        throw error;
      }
      if (outcome === 'owner-died') this.tracer.waitEnd(this.channel, waited, 'owner-died', this.ownerDiedDetail());
      else this.tracer.waitEnd(this.channel, waited, 'ok');
    } else if (outcome === 'owner-died') {
      // The holder was already dead when we came: no sleep, but the kernel's mark is there.
      this.tracer.waitBegin(this.channel);
      this.tracer.waitEnd(this.channel, 0n, 'owner-died', this.ownerDiedDetail());
    }
    if (outcome === 'owner-died') this.ownerDied(onOwnerDied);
    this.segment.store(this.offset + HOLDER, process.pid);
  }

  /** Releases the mutex; the kernel wakes one waiter if there is any. */
  unlock(): void {
    const me = process.pid;
    const holder = this.holderPid;
    if (holder !== me) {
      throw new Error(
        `${this.channel}: process ${me} tried to unlock a mutex it does not hold (` +
          (holder ? `process ${holder} holds it` : 'it is not locked') +
          '). Fix: unlock only after your own lock() returned, exactly once.',
      );
    }
    this.segment.store(this.offset + HOLDER, 0);
    this.segment.mutexUnlock(this.pthreadMutex);
  }

  /** Runs fn holding the mutex, and unlocks even if fn throws. */
  withLock<T>(fn: () => T, timeoutMs?: number, onOwnerDied?: OwnerDiedRepair): T {
    this.lock(timeoutMs, onOwnerDied);
    try {
      return fn();
    } finally {
      this.unlock();
    }
  }

  private attempt(timeoutMs: number): 'ok' | 'owner-died' | 'timed-out' | 'busy' {
    try {
      return this.segment.mutexLock(this.pthreadMutex, timeoutMs);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EDEADLK') {
        throw new Error(
          `${this.channel}: process ${process.pid} already holds this mutex; locking it again would wait for ever. Fix: unlock it first (it is not recursive).`,
          { cause: error },
        );
      }
      if (code === 'ENOTRECOVERABLE') throw new MutexNotRecoverableError(this.channel);
      throw error;
    }
  }

  private ownerDiedDetail(): string {
    const dead = this.holderPid;
    return `${this.channel}: EOWNERDEAD: ${dead ? `process ${dead}` : 'a process'} died holding this mutex; the kernel marked it, and process ${process.pid} holds it now`;
  }

  /** We hold the mutex after EOWNERDEAD: repair and mark it consistent, or leave it unusable and throw. */
  private ownerDied(repair: OwnerDiedRepair | undefined): void {
    const dead = this.holderPid;
    if (repair) {
      let repaired = false;
      try {
        repair(dead);
        repaired = true;
      } finally {
        if (repaired) this.segment.mutexConsistent(this.pthreadMutex);
        else this.abandon();
      }
      return;
    }
    this.abandon();
    throw new MutexOwnerDiedError(this.channel, dead);
  }

  /** Unlocks without pthread_mutex_consistent: the mutex becomes ENOTRECOVERABLE for everyone. */
  private abandon(): void {
    this.segment.store(this.offset + HOLDER, 0);
    this.segment.mutexUnlock(this.pthreadMutex);
  }
}
