/**
 * What the shared-memory primitives tell the lab about themselves.
 *
 * A futex wait is invisible from outside: the process just sleeps in the kernel. So each primitive
 * (mutex, semaphore, ring buffer) reports when it is about to block and when it stops blocking, and
 * the ring buffer reports how full it is. The lab runtime implements this interface and turns the
 * calls into trace events; these classes never know about the trace channel.
 *
 * Contract:
 * - waitBegin/waitEnd pair up around one blocking episode of one operation (a lock() that had to
 *   sleep, possibly several times because of spurious or lost-race wake-ups, is one episode). The
 *   uncontended fast path calls neither: it never enters the kernel.
 * - waitEnd's outcome is 'timed-out' when the operation gave up after its timeout, 'owner-died' when a
 *   mutex's lock returned EOWNERDEAD (its holder died holding it; the caller holds it now); `detail`
 *   then says which process.
 * - level() follows each ring-buffer put and get: `used` items of `capacity` (null for a buffer
 *   that is not bounded).
 */
export interface SyncTracer {
  waitBegin(channel: string): void;
  waitEnd(channel: string, durationNs: bigint, outcome: WaitEndOutcome, detail?: string): void;
  level(channel: string, used: number, capacity: number | null): void;
}

export type WaitEndOutcome = 'ok' | 'timed-out' | 'owner-died';

/** A tracer that records nothing: the default. */
export const NO_TRACE: SyncTracer = {
  waitBegin() {},
  waitEnd() {},
  level() {},
};

/** Where a primitive lives and how it reports: the options of every `at()` / `init()`. */
export interface SyncOptions {
  tracer?: SyncTracer;
  /** The name the trace shows for this primitive (default: kind and offset, like "mutex@8"). */
  channel?: string;
}
