/**
 * A bounded buffer (the producer-consumer problem) in a shared-memory segment: a ring of fixed-size
 * slots and two counting semaphores, as in the textbook, with two refinements that let a producer and
 * a consumer work at the same time: producers and consumers each have their own mutex, and the copy
 * is done outside them.
 *
 *   put(item):  wait(empty slots); lock(put); n = tail++; unlock(put); i = n % slots;
 *               wait until slot[i] is empty for this lap; copy the item in; mark it full; post(full slots)
 *   get():      wait(full slots);  lock(get); n = head++; unlock(get); i = n % slots;
 *               wait until slot[i] is full for this lap; copy the item out; mark it empty; post(empty slots)
 *
 * Why it is correct: "empty slots" counts the slots a producer may claim, "full slots" the items a
 * consumer may claim, so there is never more to claim than there is. The put mutex hands out slot
 * numbers to one producer at a time, and the get mutex to one consumer at a time, so two producers
 * never claim the same slot and two consumers never take the same item: each item is consumed exactly
 * once, and the items of one producer leave in the order it put them. The semaphores are taken
 * *before* the mutexes: waiting for a slot while holding a mutex would stop the one process that
 * could free it (deadlock).
 *
 * Why two mutexes and the copy outside them: the textbook uses one mutex around the whole put or get,
 * copy included. That is correct, but a producer and a consumer then take turns even when they use
 * different slots, so two processors copy no faster than one. Producers only move `tail` and consumers
 * only move `head`, so each side needs only its own mutex, held for a few loads and stores. The price
 * is a turn word per slot: with several producers, the slot a consumer claims may still be being
 * filled by a slower producer (and a slot a producer claims may still be being read, even by a
 * consumer a lap behind), so each side waits for the slot's turn before it copies. With one producer and one consumer that wait almost
 * never sleeps. `count`, which both sides change, is changed with atomic adds.
 *
 * Memory layout (bytes from the buffer's offset in the segment; all words 32-bit, 4-aligned):
 *    0 magic 0x52435049 ("IPCR" in memory), written last by create(): attach() refuses a buffer without it
 *    4 flags (bit 0: bounded)
 *   16 "empty slots" sem   (2 words: value, waiters)         see counting-semaphore.ts
 *   24 "full slots" sem    (2 words: value, waiters)
 *   32 head   (items claimed by consumers so far; the next one is in slot head % slots)
 *   36 tail   (items claimed by producers so far; up to 2^31 - 1 items in a buffer's life)
 *   40 count  (items put and not yet claimed by a consumer: what the lab shows as the level)
 *   44 slot count
 *   48 slot size (largest item, in bytes)
 *   60 slot sleepers (processes asleep on a slot's turn word; see awaitTurn)
 *   64 put mutex (Mutex.BYTES, 48 on x86_64: see mutex.ts), then the get mutex
 *   64 + 2 × Mutex.BYTES: slot 0, then slot 1...: each [u32 turn: 2·lap empty, 2·lap + 1 full][u32 length][slot size bytes, padded to 4]
 *   (8, 12, 52 and 56 are unused.)
 *
 * bounded: false leaves out the "empty slots" wait: the textbook's "unbounded buffer". No real buffer
 * is unbounded; it is one bigger than anything ever put into it. If a put would overwrite unread data,
 * it throws RingBufferOverflowError instead of silently corrupting the buffer.
 *
 * The broken variant, `mutex: false` (an option of this process's RingBuffer object; nothing in the
 * segment changes): this process's get() claims its item *without* the get mutex, the textbook's race
 * on the buffer itself. It loads `head`, copies the item out, yields for UNSAFE_WINDOW_MS (the time a
 * preemption could take; on 2 cores a bare load and store race too rarely to be seen), and only then
 * stores head + 1. A second consumer that loads `head` inside that window claims the same item: both
 * take it, an item consumed twice. (A claim that finds its slot already past its lap, emptied by the
 * other consumer and perhaps refilled, copies whatever is there, as a racing C program would.) What it
 * does not break: the slot's turn word, moved from full to empty by compareExchange, lets only one of
 * the two give the slot back ("empty slots" post) and move head on; the other returns its "full slots"
 * permit. So the counts stay right and the run ends; a textbook buffer would lose a permit per
 * duplicate, and after as many duplicates as slots every process would sleep in futex wait for ever.
 * The put side always keeps its mutex: two producers claiming one slot would lose "empty slots"
 * permits the same way.
 *
 * What can go wrong: a process killed while holding a mutex: the mutexes are robust, so the next
 * process to lock gets EOWNERDEAD from the kernel; each mutex guards one word (tail or head), which a
 * store changes whole, so there is nothing to repair and it goes on (mutex.ts); a process killed between claiming a slot and marking it (the other side gives up waiting on that
 * slot after SLOT_TIMEOUT_MS, naming it); a consumer that dies after taking an item loses it; a
 * producer that stops putting leaves consumers asleep (use timeouts).
 */
import { CountingSemaphore } from './counting-semaphore.js';
import { Mutex } from './mutex.js';
import type { SharedSegment } from './shared-segment.js';
import { NO_TRACE, type SyncOptions, type SyncTracer } from './sync-tracer.js';

const MAGIC = 0x52435049;
const H_MAGIC = 0;
const H_FLAGS = 4;
const H_EMPTY = 16;
const H_FULL = 24;
const H_HEAD = 32;
const H_TAIL = 36;
const H_COUNT = 40;
const H_SLOTS = 44;
const H_SLOT_BYTES = 48;
/** How many processes sleep on some slot's turn word: mark() makes the wake-up system call only then. */
const H_SLOT_SLEEPERS = 60;
const H_PUT_MUTEX = 64;
/** Where the get mutex and the slots start: after the put mutex, whose size comes from the C library. */
const getMutexAt = (): number => H_PUT_MUTEX + Mutex.BYTES;
const headerBytes = (): number => H_PUT_MUTEX + 2 * Mutex.BYTES;
/** Each mutex guards one word, stored whole: a holder that died left it either old or new, both valid. */
const NOTHING_TO_REPAIR = (): void => {};
const FLAG_BOUNDED = 1;
/** Slot words: its turn, then the item's length, then its bytes. */
const S_TURN = 0;
const S_LENGTH = 4;
const S_DATA = 8;
/**
 * A slot's turn word says whose turn it is on which lap round the ring: 2·lap (empty, a producer's
 * turn), 2·lap + 1 (full, a consumer's turn). Comparing whole turns, not just empty/full, stops a
 * consumer from taking last lap's item that a slow consumer is still reading.
 */
const emptyTurn = (lap: number): number => (2 * lap) | 0;
const fullTurn = (lap: number): number => (2 * lap + 1) | 0;
/** A mutex is held only for a few loads and stores: waiting longer than this means its holder is stuck. */
const MUTEX_TIMEOUT_MS = 5000;
/** A claimed slot is filled or emptied within a copy: waiting longer means the other process died. */
const SLOT_TIMEOUT_MS = 5000;
const SLOT_CHECK_MS = 100;
/** Looks at a slot's turn word this many times before sleeping: the other side is usually mid-copy. */
const SPIN_TRIES = 64;
/** mutex: false: how long an unprotected get yields between loading head and storing it (the race window). */
const UNSAFE_WINDOW_MS = 5;

export interface RingBufferOptions extends SyncOptions {
  /** Where the buffer starts in the segment (8-aligned). Default 0. */
  offset?: number;
  /**
   * false: the broken variant. This process's get() claims items without the get mutex, with a real
   * race window (see the header): two consumers can take the same item. Default true. Never in real code.
   */
  mutex?: boolean;
}

export interface RingBufferGeometry {
  /** How many items fit. */
  slots: number;
  /** The largest item, in bytes. */
  slotBytes: number;
  /** false: producers never wait for a free slot (and put throws rather than overwrite). Default true. */
  bounded?: boolean;
}

/** put or get gave up waiting for a slot or an item. */
export class RingBufferTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(
    readonly channel: string,
    readonly operation: 'put' | 'get',
    readonly timeoutMs: number,
  ) {
    super(
      operation === 'put'
        ? `${channel}: put waited ${timeoutMs} ms for an empty slot and none came free. Fix: is a consumer running and taking items?`
        : `${channel}: get waited ${timeoutMs} ms for an item and none came. Fix: is a producer running and putting items?`,
    );
    this.name = 'RingBufferTimeoutError';
  }
}

/** A put into a full buffer that is not bounded: it would overwrite an item nobody has read. */
export class RingBufferOverflowError extends Error {
  readonly code = 'EOVERFLOW';
  constructor(
    readonly channel: string,
    readonly slots: number,
  ) {
    super(
      `${channel}: put would overwrite unread data: all ${slots} slots of this "unbounded" buffer hold items no consumer has taken yet. ` +
        'An unbounded buffer is only a buffer bigger than anything put into it. Fix: give it more slots, or make it bounded so producers wait.',
    );
    this.name = 'RingBufferOverflowError';
  }
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

export class RingBuffer {
  /** Bytes a buffer of this geometry needs in its segment (header and slots). */
  static bytesFor(slots: number, slotBytes: number): number {
    return headerBytes() + slots * (S_DATA + align4(slotBytes));
  }

  readonly channel: string;
  private readonly tracer: SyncTracer;
  private readonly putMutex: Mutex;
  private readonly getMutex: Mutex;
  private readonly emptySlots: CountingSemaphore;
  private readonly fullSlots: CountingSemaphore;
  private readonly slotStride: number;
  private readonly getUnderMutex: boolean;

  private constructor(
    readonly segment: SharedSegment,
    readonly offset: number,
    readonly slots: number,
    readonly slotBytes: number,
    readonly bounded: boolean,
    options: RingBufferOptions,
  ) {
    this.getUnderMutex = options.mutex ?? true;
    this.channel = options.channel ?? `ring@${offset}`;
    this.tracer = options.tracer ?? NO_TRACE;
    const tracer = this.tracer;
    this.putMutex = Mutex.at(segment, offset + H_PUT_MUTEX, { tracer, channel: `${this.channel}: put mutex` });
    this.getMutex = Mutex.at(segment, offset + getMutexAt(), { tracer, channel: `${this.channel}: get mutex` });
    this.emptySlots = CountingSemaphore.at(segment, offset + H_EMPTY, { tracer, channel: `${this.channel}: empty slots` });
    this.fullSlots = CountingSemaphore.at(segment, offset + H_FULL, { tracer, channel: `${this.channel}: full slots` });
    this.slotStride = S_DATA + align4(slotBytes);
  }

  /** Lays out an empty buffer in the segment (once, before any other process attaches). */
  static create(segment: SharedSegment, geometry: RingBufferGeometry & RingBufferOptions): RingBuffer {
    const { slots, slotBytes, bounded = true, offset = 0 } = geometry;
    if (!Number.isInteger(slots) || slots < 1 || !Number.isInteger(slotBytes) || slotBytes < 1) {
      throw new RangeError(`a ring buffer needs at least 1 slot of at least 1 byte (got ${slots} slots of ${slotBytes} bytes)`);
    }
    if (!Number.isInteger(offset) || offset < 0 || offset % 8 !== 0)
      throw new RangeError(`a ring buffer must start at an 8-aligned offset (its mutexes need it), not ${offset}`);
    const needed = RingBuffer.bytesFor(slots, slotBytes);
    if (offset + needed > segment.size) {
      throw new RangeError(
        `a ring buffer of ${slots} slots × ${slotBytes} bytes needs ${needed} bytes from offset ${offset}, but segment ${segment.name} has ${segment.size}. ` +
          `Fix: create the segment with at least ${offset + needed} bytes (RingBuffer.bytesFor).`,
      );
    }
    segment.store(offset + H_MAGIC, 0);
    segment.store(offset + H_FLAGS, bounded ? FLAG_BOUNDED : 0);
    segment.store(offset + H_HEAD, 0);
    segment.store(offset + H_TAIL, 0);
    segment.store(offset + H_COUNT, 0);
    segment.store(offset + H_SLOTS, slots);
    segment.store(offset + H_SLOT_BYTES, slotBytes);
    segment.store(offset + H_SLOT_SLEEPERS, 0);
    for (let index = 0; index < slots; index++) segment.store(offset + headerBytes() + index * (S_DATA + align4(slotBytes)) + S_TURN, emptyTurn(0));
    Mutex.init(segment, offset + H_PUT_MUTEX);
    Mutex.init(segment, offset + getMutexAt());
    CountingSemaphore.init(segment, offset + H_EMPTY, bounded ? slots : 0);
    CountingSemaphore.init(segment, offset + H_FULL, 0);
    segment.store(offset + H_MAGIC, MAGIC); // last: from now on attach() may use it
    return new RingBuffer(segment, offset, slots, slotBytes, bounded, geometry);
  }

  /** The buffer another process created in this segment; its geometry comes from the header. */
  static attach(segment: SharedSegment, options: RingBufferOptions = {}): RingBuffer {
    const offset = options.offset ?? 0;
    if (segment.load(offset + H_MAGIC) !== MAGIC) {
      throw new Error(
        `there is no ring buffer at offset ${offset} of segment ${segment.name} (yet). Fix: attach after its creator has called RingBuffer.create.`,
      );
    }
    const slots = segment.load(offset + H_SLOTS);
    const slotBytes = segment.load(offset + H_SLOT_BYTES);
    if (slots < 1 || slotBytes < 1 || offset + RingBuffer.bytesFor(slots, slotBytes) > segment.size) {
      throw new Error(`the ring buffer header at offset ${offset} of segment ${segment.name} is damaged (${slots} slots of ${slotBytes} bytes)`);
    }
    const bounded = (segment.load(offset + H_FLAGS) & FLAG_BOUNDED) !== 0;
    return new RingBuffer(segment, offset, slots, slotBytes, bounded, options);
  }

  /** Items in the buffer now. */
  get used(): number {
    return this.segment.load(this.offset + H_COUNT);
  }

  /** How many items fit. */
  get capacity(): number {
    return this.slots;
  }

  /** Copies data into the next free slot, waiting (bounded buffer) for one to come free. */
  put(data: Uint8Array, timeoutMs = Infinity): void {
    if (data.length > this.slotBytes) {
      throw new RangeError(
        `${this.channel}: an item of ${data.length} bytes does not fit a slot of ${this.slotBytes} bytes. Fix: split it, or create the buffer with bigger slots.`,
      );
    }
    if (this.bounded && !this.emptySlots.wait(timeoutMs)) throw new RingBufferTimeoutError(this.channel, 'put', timeoutMs);
    const seg = this.segment;
    let claim: number;
    this.putMutex.lock(MUTEX_TIMEOUT_MS, NOTHING_TO_REPAIR);
    try {
      if (!this.bounded && seg.load(this.offset + H_COUNT) >= this.slots) throw new RingBufferOverflowError(this.channel, this.slots);
      claim = seg.load(this.offset + H_TAIL);
      seg.store(this.offset + H_TAIL, claim + 1);
    } finally {
      this.putMutex.unlock();
    }
    const { slot, lap } = this.slotOf(claim);
    this.awaitTurn(slot, claim, emptyTurn(lap));
    seg.store(slot + S_LENGTH, data.length);
    seg.write(slot + S_DATA, data);
    this.mark(slot, fullTurn(lap));
    const used = seg.add(this.offset + H_COUNT, 1) + 1;
    this.fullSlots.post();
    this.tracer.level(this.channel, used, this.bounded ? this.slots : null);
  }

  /** Takes the oldest item (a copy), waiting for one to arrive. */
  get(timeoutMs = Infinity): Buffer {
    let item: Buffer | undefined;
    this.take(timeoutMs, (slot, length) => {
      item = this.segment.read(slot + S_DATA, length);
    });
    return item!;
  }

  /**
   * Like get, but copies the item into target (no allocation); returns its length. The target must
   * hold a whole slot (slotBytes), since the item's length is known only once it is taken.
   */
  getInto(target: Uint8Array, timeoutMs = Infinity): number {
    if (target.length < this.slotBytes) {
      throw new RangeError(
        `${this.channel}: getInto needs a target of at least slotBytes (${this.slotBytes}) bytes, not ${target.length}. Fix: allocate one slot's worth.`,
      );
    }
    let length = 0;
    this.take(timeoutMs, (slot, itemLength) => {
      length = this.segment.readInto(slot + S_DATA, target.subarray(0, itemLength));
    });
    return length;
  }

  /** What get and getInto share: claim the oldest item under the mutex, then copy it out of its slot. */
  private take(timeoutMs: number, copy: (slot: number, length: number) => void): void {
    if (!this.fullSlots.wait(timeoutMs)) throw new RingBufferTimeoutError(this.channel, 'get', timeoutMs);
    if (!this.getUnderMutex) return this.takeUnprotected(copy);
    const seg = this.segment;
    let claim: number;
    this.getMutex.lock(MUTEX_TIMEOUT_MS, NOTHING_TO_REPAIR);
    try {
      claim = seg.load(this.offset + H_HEAD);
      seg.store(this.offset + H_HEAD, claim + 1);
    } finally {
      this.getMutex.unlock();
    }
    const used = seg.add(this.offset + H_COUNT, -1) - 1;
    const { slot, lap } = this.slotOf(claim);
    this.awaitTurn(slot, claim, fullTurn(lap));
    copy(slot, seg.load(slot + S_LENGTH));
    this.mark(slot, emptyTurn(lap + 1));
    if (this.bounded) this.emptySlots.post();
    this.tracer.level(this.channel, used, this.bounded ? this.slots : null);
  }

  /**
   * The broken variant's take (mutex: false): load head, copy the item, yield, then claim it, with no
   * mutex around them. Two consumers inside that window take the same item (see the header).
   */
  private takeUnprotected(copy: (slot: number, length: number) => void): void {
    const seg = this.segment;
    const claim = seg.load(this.offset + H_HEAD);
    const { slot, lap } = this.slotOf(claim);
    const full = fullTurn(lap);
    // Wait for the item, unless the slot is already past this lap: another consumer took it (and a
    // producer may have refilled it), and this stale claim copies whatever the slot holds now.
    this.awaitTurn(slot, claim, full, (now) => now === full || ((now - full) | 0) > 0);
    copy(slot, seg.load(slot + S_LENGTH));
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, UNSAFE_WINDOW_MS); // the race window
    if (seg.compareExchange(slot + S_TURN, full, emptyTurn(lap + 1)) !== full) {
      // The other consumer emptied the slot first: this copy was its item. Give back the permit taken
      // for an item this process never claimed, and leave head alone: the buffer's counts stay right.
      this.fullSlots.post();
      return;
    }
    if (seg.load(this.offset + H_SLOT_SLEEPERS) > 0) seg.wake(slot + S_TURN, -1);
    seg.store(this.offset + H_HEAD, claim + 1);
    const used = seg.add(this.offset + H_COUNT, -1) - 1;
    if (this.bounded) this.emptySlots.post();
    this.tracer.level(this.channel, used, this.bounded ? this.slots : null);
  }

  /** Sets a slot's turn and wakes whoever waits for it (a producer for an empty turn, a consumer for a full one). */
  private mark(slot: number, turn: number): void {
    this.segment.store(slot + S_TURN, turn);
    // Store, then look for sleepers; a sleeper counts itself, then sleeps only while the word still
    // holds the old turn. So either we see it and wake it, or its sleep sees the new turn at once.
    if (this.segment.load(this.offset + H_SLOT_SLEEPERS) > 0) this.segment.wake(slot + S_TURN, -1);
  }

  /**
   * Waits until the claimed slot reaches `turn`: the process that used the slot one lap earlier may
   * still be copying (several producers or consumers), or the item may not be written yet. Almost
   * always it already has.
   */
  private awaitTurn(slot: number, claim: number, turn: number, reached: (now: number) => boolean = (now) => now === turn): void {
    const seg = this.segment;
    for (let i = 0; i < SPIN_TRIES; i++) if (reached(seg.load(slot + S_TURN))) return;
    const channel = `${this.channel}: slot ${claim % this.slots}`;
    const start = process.hrtime.bigint();
    const deadline = performance.now() + SLOT_TIMEOUT_MS;
    this.tracer.waitBegin(channel);
    for (let now = seg.load(slot + S_TURN); !reached(now); now = seg.load(slot + S_TURN)) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        const message =
          `${channel}: waited ${SLOT_TIMEOUT_MS} ms for the slot to become ${turn % 2 ? 'full' : 'empty'}; ` +
          `the process that claimed it before this one must have died in the middle of its copy. Fix: start over with a fresh buffer.`;
        this.tracer.waitEnd(channel, process.hrtime.bigint() - start, 'timed-out', message);
        throw new Error(message);
      }
      seg.add(this.offset + H_SLOT_SLEEPERS, 1);
      try {
        seg.wait(slot + S_TURN, now, Math.min(remaining, SLOT_CHECK_MS));
      } finally {
        seg.add(this.offset + H_SLOT_SLEEPERS, -1);
      }
    }
    this.tracer.waitEnd(channel, process.hrtime.bigint() - start, 'ok');
  }

  /** Where the claim-th item goes (slot offset) and on which lap round the ring. */
  private slotOf(claim: number): { slot: number; lap: number } {
    return { slot: this.slotOffset(claim % this.slots), lap: Math.floor(claim / this.slots) };
  }

  private slotOffset(index: number): number {
    return this.offset + headerBytes() + index * this.slotStride;
  }
}
