/**
 * The textbook bounded buffer, as the chapter draws it: a ring of `slots` slots, one mutex and two
 * counting semaphores (main/runtime/shared-memory/: a robust pthread mutex and futex semaphores).
 *
 *   put(item): wait(empty); lock(mutex); slot[in % N] = item; in++; unlock(mutex); post(full)
 *   get():     wait(full);  lock(mutex); item = slot[out % N]; out++; unlock(mutex); post(empty)
 *
 * With the two mistakes of the "synchronisation" step, on the producers' side only:
 *   no-mutex     put loads `in`, copies the item into that slot, yields (the time a preemption could
 *                take: on 2 cores a bare load and store race too rarely to see), then stores in + 1. A
 *                second producer that loads `in` inside that window writes the same slot: one item is
 *                overwritten (lost), and a slot further on is never written this lap, so a consumer
 *                takes whatever it held before (an item again, or nothing).
 *   wrong-order  put locks the mutex *before* it waits for an empty slot. On a full buffer the producer
 *                then sleeps holding the mutex, and every consumer sleeps waiting for that mutex: no
 *                process can ever run again (a deadlock).
 *
 * Layout (bytes): 0 in, 4 out, 8 progress (puts + gets so far), 12 slot count, 16 "empty slots"
 * semaphore, 24 "full slots" semaphore, 32 the mutex (Mutex.BYTES), then the slots: [u32 length][64 bytes].
 */
import { CountingSemaphore } from '../../../main/runtime/shared-memory/counting-semaphore.js';
import { Mutex } from '../../../main/runtime/shared-memory/mutex.js';
import type { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';
import type { SyncTracer } from '../../../main/runtime/shared-memory/sync-tracer.js';

export const ITEM_BYTES = 64;
export type Mistake = 'none' | 'no-mutex' | 'wrong-order';
export const MISTAKES: readonly Mistake[] = ['none', 'no-mutex', 'wrong-order'];

const IN = 0;
const OUT = 4;
export const PROGRESS = 8;
const SLOTS = 12;
const EMPTY = 16;
const FULL = 24;
const MUTEX = 32;
const SLOT_STRIDE = 4 + ITEM_BYTES;
/** no-mutex: the yield between loading `in` and storing it. */
const RACE_WINDOW_MS = 3;
/** Longer than any run: a deadlocked process stays asleep until the starter ends it. */
const LOCK_TIMEOUT_MS = 120_000;

const slotsStart = (): number => MUTEX + Mutex.BYTES;

export class TextbookBuffer {
  static bytesFor(slots: number): number {
    return slotsStart() + slots * SLOT_STRIDE;
  }

  private readonly mutex: Mutex;
  private readonly empty: CountingSemaphore;
  private readonly full: CountingSemaphore;
  readonly slots: number;

  private constructor(
    private readonly segment: SharedSegment,
    tracer: SyncTracer,
    private readonly mistake: Mistake,
  ) {
    this.slots = segment.load(SLOTS);
    this.mutex = Mutex.at(segment, MUTEX, { tracer, channel: 'buffer: mutex' });
    this.empty = CountingSemaphore.at(segment, EMPTY, { tracer, channel: 'buffer: empty slots' });
    this.full = CountingSemaphore.at(segment, FULL, { tracer, channel: 'buffer: full slots' });
  }

  /** Lays out an empty buffer (once, before the others attach). */
  static create(segment: SharedSegment, slots: number, tracer: SyncTracer): TextbookBuffer {
    for (const word of [IN, OUT, PROGRESS]) segment.store(word, 0);
    segment.store(SLOTS, slots);
    Mutex.init(segment, MUTEX);
    CountingSemaphore.init(segment, EMPTY, slots);
    CountingSemaphore.init(segment, FULL, 0);
    return new TextbookBuffer(segment, tracer, 'none');
  }

  /** The buffer in this segment, used with `mistake` by this process. */
  static attach(segment: SharedSegment, tracer: SyncTracer, mistake: Mistake): TextbookBuffer {
    return new TextbookBuffer(segment, tracer, mistake);
  }

  /** Puts an item; false if no slot came free within timeoutMs. */
  put(item: Uint8Array, timeoutMs = Infinity): boolean {
    if (this.mistake === 'wrong-order') {
      // The mistake: the mutex first, then the wait for room, holding it.
      this.mutex.lock(LOCK_TIMEOUT_MS);
      if (!this.empty.wait(timeoutMs)) {
        this.mutex.unlock();
        return false;
      }
      this.copyIn(item);
      this.mutex.unlock();
    } else if (this.mistake === 'no-mutex') {
      if (!this.empty.wait(timeoutMs)) return false;
      const claim = this.segment.load(IN);
      this.write(claim, item);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, RACE_WINDOW_MS); // the race window
      this.segment.store(IN, claim + 1);
    } else {
      if (!this.empty.wait(timeoutMs)) return false;
      this.mutex.lock(LOCK_TIMEOUT_MS);
      this.copyIn(item);
      this.mutex.unlock();
    }
    this.full.post();
    this.segment.add(PROGRESS, 1);
    return true;
  }

  /** Takes the oldest item (always the textbook way: wait for an item, then the mutex). */
  get(): Buffer {
    this.full.wait();
    this.mutex.lock(LOCK_TIMEOUT_MS);
    const claim = this.segment.load(OUT);
    const at = slotsStart() + (claim % this.slots) * SLOT_STRIDE;
    const item = this.segment.read(at + 4, Math.min(this.segment.load(at), ITEM_BYTES));
    this.segment.store(OUT, claim + 1);
    this.mutex.unlock();
    this.empty.post();
    this.segment.add(PROGRESS, 1);
    return item;
  }

  private copyIn(item: Uint8Array): void {
    const claim = this.segment.load(IN);
    this.write(claim, item);
    this.segment.store(IN, claim + 1);
  }

  private write(claim: number, item: Uint8Array): void {
    const at = slotsStart() + (claim % this.slots) * SLOT_STRIDE;
    this.segment.write(at + 4, item);
    this.segment.store(at, item.length);
  }
}
