/**
 * A counting semaphore for processes (Dijkstra's P and V; sem_wait and sem_post), built from two
 * shared 32-bit words, atomics and the futex system call.
 *
 * The value counts available "permits" (free slots, items ready...). wait() takes one, sleeping while
 * there are none; post() returns one and wakes a sleeper.
 *
 * Memory layout (2 words, at any 4-aligned offset of a segment):
 *   offset + 0: value   (>= 0: permits available)
 *   offset + 4: waiters (how many processes are in, or about to enter, futex_wait on the value)
 *
 * Algorithm:
 * - wait: while value > 0, try compareExchange(value → value - 1): success means we hold a permit (no
 *   system call). If value is 0: waiters += 1, futex_wait(value, 0), waiters -= 1, and try again.
 * - post: value += 1 (atomic add), then if waiters > 0, futex_wake(value, 1).
 * Why no wake-up is lost: a waiter registers (waiters += 1) *before* futex_wait checks that value is
 * still 0. Either the post's add came first, and futex_wait returns at once ('not-equal'); or it came
 * after, and then the post sees waiters > 0 and wakes the sleeper. All operations are sequentially
 * consistent, so no third order exists. The waiters count only saves post() a system call when
 * nobody sleeps.
 *
 * What can go wrong:
 * - A woken waiter can find the permit already taken by a process that never slept: it just waits
 *   again (wait order is not first-come-first-served).
 * - post() more often than wait(): the value grows; a semaphore does not know a "maximum".
 * - A process that dies after wait() and before its post() loses that permit forever.
 */
import type { SharedSegment } from './shared-segment.js';
import { NO_TRACE, type SyncOptions, type SyncTracer } from './sync-tracer.js';

/** How many times wait() looks for a permit before it sleeps (each look is one call into the addon). */
const SPIN_TRIES = 64;

const VALUE = 0;
const WAITERS = 4;

export class CountingSemaphore {
  static readonly WORDS = 2;
  static readonly BYTES = CountingSemaphore.WORDS * 4;

  readonly channel: string;
  private readonly tracer: SyncTracer;

  private constructor(
    readonly segment: SharedSegment,
    readonly offset: number,
    options: SyncOptions,
  ) {
    if (offset % 4 !== 0) throw new RangeError(`a semaphore must start at a 4-aligned offset, not ${offset}`);
    this.channel = options.channel ?? `semaphore@${offset}`;
    this.tracer = options.tracer ?? NO_TRACE;
  }

  /** Writes a semaphore holding `initial` permits at offset (once, before use) and returns it. */
  static init(segment: SharedSegment, offset: number, initial: number, options: SyncOptions = {}): CountingSemaphore {
    if (!Number.isInteger(initial) || initial < 0 || initial > 0x7fffffff) {
      throw new RangeError(`a semaphore's initial value must be an integer from 0 to 2^31-1, not ${initial}`);
    }
    const semaphore = new CountingSemaphore(segment, offset, options);
    segment.store(offset + WAITERS, 0);
    segment.store(offset + VALUE, initial);
    return semaphore;
  }

  /** The semaphore another process initialised at offset. */
  static at(segment: SharedSegment, offset: number, options: SyncOptions = {}): CountingSemaphore {
    return new CountingSemaphore(segment, offset, options);
  }

  /** Permits available right now (already stale when you read it, if others use the semaphore). */
  get value(): number {
    return this.segment.load(this.offset + VALUE);
  }

  /** Takes a permit if one is available, without waiting. */
  tryWait(): boolean {
    for (;;) {
      const value = this.segment.load(this.offset + VALUE);
      if (value <= 0) return false;
      if (this.segment.compareExchange(this.offset + VALUE, value, value - 1) === value) return true;
      // Another process changed the value between our load and compareExchange: look again.
    }
  }

  /** Takes a permit, sleeping until one is posted. False if none came within timeoutMs. */
  wait(timeoutMs = Infinity): boolean {
    if (this.tryWait()) return true; // fast path: no system call, no trace
    // Look a few more times before sleeping: on another processor the permit is often a microsecond
    // away, and a futex sleep and wake-up costs tens of microseconds.
    for (let i = 0; i < SPIN_TRIES; i++) if (this.tryWait()) return true;
    const seg = this.segment;
    const deadline = performance.now() + timeoutMs;
    this.tracer.waitBegin(this.channel);
    const start = process.hrtime.bigint();
    let outcome: 'ok' | 'timed-out' = 'ok';
    try {
      for (;;) {
        const remaining = deadline - performance.now();
        if (remaining <= 0) {
          outcome = 'timed-out';
          return false;
        }
        seg.add(this.offset + WAITERS, 1);
        try {
          seg.wait(this.offset + VALUE, 0, remaining);
        } finally {
          seg.add(this.offset + WAITERS, -1);
        }
        if (this.tryWait()) return true;
      }
    } catch (error) {
      outcome = 'timed-out';
      throw error;
    } finally {
      this.tracer.waitEnd(this.channel, process.hrtime.bigint() - start, outcome);
    }
  }

  /** Returns a permit and wakes one sleeper, if any. */
  post(): void {
    this.segment.add(this.offset + VALUE, 1);
    if (this.segment.load(this.offset + WAITERS) > 0) this.segment.wake(this.offset + VALUE, 1);
  }
}
