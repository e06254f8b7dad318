/**
 * A bounded buffer (the producer-consumer problem) in a shared-memory segment: a ring of fixed-size
 * slots, a mutex and two counting semaphores, exactly as in the textbook.
 *
 *   put(item):  wait(empty slots); lock; write slot[tail]; tail = (tail + 1) % slots; unlock; post(full slots)
 *   get():      wait(full slots);  lock; read slot[head];  head = (head + 1) % slots; unlock; post(empty slots)
 *
 * Why it is correct: "empty slots" counts the slots a producer may fill, "full slots" the items a
 * consumer may take, so a producer never overwrites an unread item and a consumer never reads a slot
 * twice or before it is written. The mutex makes the head/tail/count update and the slot copy one step
 * as seen by the other processes, so several producers and several consumers work: each item is
 * consumed exactly once. The semaphores are taken *before* the mutex: waiting for a slot while holding
 * the mutex would stop the one process that could free it (deadlock).
 *
 * Memory layout (bytes from the buffer's offset in the segment; all words 32-bit, 4-aligned):
 *    0 magic 0x52435049 ("IPCR" in memory), written last by create(): attach() refuses a buffer without it
 *    4 flags (bit 0: bounded)
 *    8 mutex               (2 words: state, holder pid)      see mutex.ts
 *   16 "empty slots" sem   (2 words: value, waiters)         see counting-semaphore.ts
 *   24 "full slots" sem    (2 words: value, waiters)
 *   32 head   (next slot to read)
 *   36 tail   (next slot to write)
 *   40 count  (items in the buffer: what the lab shows as the level)
 *   44 slot count
 *   48 slot size (largest item, in bytes)
 *   64 slot 0, then slot 1...: each [u32 length][slot size bytes, padded to a multiple of 4]
 *
 * bounded: false leaves out the "empty slots" wait: the textbook's "unbounded buffer". No real buffer
 * is unbounded; it is one bigger than anything ever put into it. If a put would overwrite unread data,
 * it throws RingBufferOverflowError instead of silently corrupting the buffer.
 *
 * What can go wrong: a process killed while holding the mutex (the others get MutexOwnerDiedError);
 * a consumer that dies after taking an item loses it; a producer that stops putting leaves consumers
 * asleep (use timeouts).
 */
import { CountingSemaphore } from './counting-semaphore.js';
import { Mutex } from './mutex.js';
import type { SharedSegment } from './shared-segment.js';
import { NO_TRACE, type SyncOptions, type SyncTracer } from './sync-tracer.js';

const MAGIC = 0x52435049;
const H_MAGIC = 0;
const H_FLAGS = 4;
const H_MUTEX = 8;
const H_EMPTY = 16;
const H_FULL = 24;
const H_HEAD = 32;
const H_TAIL = 36;
const H_COUNT = 40;
const H_SLOTS = 44;
const H_SLOT_BYTES = 48;
const HEADER_BYTES = 64;
const FLAG_BOUNDED = 1;
/** The mutex is held only for a copy: waiting longer than this means something is wrong (a dead holder). */
const MUTEX_TIMEOUT_MS = 5000;

export interface RingBufferOptions extends SyncOptions {
  /** Where the buffer starts in the segment (4-aligned). Default 0. */
  offset?: number;
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
    return HEADER_BYTES + slots * (4 + align4(slotBytes));
  }

  readonly channel: string;
  private readonly tracer: SyncTracer;
  private readonly mutex: Mutex;
  private readonly emptySlots: CountingSemaphore;
  private readonly fullSlots: CountingSemaphore;
  private readonly slotStride: number;

  private constructor(
    readonly segment: SharedSegment,
    readonly offset: number,
    readonly slots: number,
    readonly slotBytes: number,
    readonly bounded: boolean,
    options: SyncOptions,
  ) {
    this.channel = options.channel ?? `ring@${offset}`;
    this.tracer = options.tracer ?? NO_TRACE;
    const tracer = this.tracer;
    this.mutex = Mutex.at(segment, offset + H_MUTEX, { tracer, channel: `${this.channel}: mutex` });
    this.emptySlots = CountingSemaphore.at(segment, offset + H_EMPTY, { tracer, channel: `${this.channel}: empty slots` });
    this.fullSlots = CountingSemaphore.at(segment, offset + H_FULL, { tracer, channel: `${this.channel}: full slots` });
    this.slotStride = 4 + align4(slotBytes);
  }

  /** Lays out an empty buffer in the segment (once, before any other process attaches). */
  static create(segment: SharedSegment, geometry: RingBufferGeometry & RingBufferOptions): RingBuffer {
    const { slots, slotBytes, bounded = true, offset = 0 } = geometry;
    if (!Number.isInteger(slots) || slots < 1 || !Number.isInteger(slotBytes) || slotBytes < 1) {
      throw new RangeError(`a ring buffer needs at least 1 slot of at least 1 byte (got ${slots} slots of ${slotBytes} bytes)`);
    }
    if (!Number.isInteger(offset) || offset < 0 || offset % 4 !== 0) throw new RangeError(`a ring buffer must start at a 4-aligned offset, not ${offset}`);
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
    Mutex.init(segment, offset + H_MUTEX);
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
      throw new RangeError(`${this.channel}: an item of ${data.length} bytes does not fit a slot of ${this.slotBytes} bytes. Fix: split it, or create the buffer with bigger slots.`);
    }
    if (this.bounded && !this.emptySlots.wait(timeoutMs)) throw new RingBufferTimeoutError(this.channel, 'put', timeoutMs);
    const seg = this.segment;
    let used: number;
    this.mutex.lock(MUTEX_TIMEOUT_MS);
    try {
      if (!this.bounded && seg.load(this.offset + H_COUNT) >= this.slots) throw new RingBufferOverflowError(this.channel, this.slots);
      const tail = seg.load(this.offset + H_TAIL);
      const slot = this.slotOffset(tail);
      seg.store(slot, data.length);
      seg.write(slot + 4, data);
      seg.store(this.offset + H_TAIL, (tail + 1) % this.slots);
      used = seg.add(this.offset + H_COUNT, 1) + 1;
    } finally {
      this.mutex.unlock();
    }
    this.fullSlots.post();
    this.tracer.level(this.channel, used, this.bounded ? this.slots : null);
  }

  /** Takes the oldest item (a copy), waiting for one to arrive. */
  get(timeoutMs = Infinity): Buffer {
    let item: Buffer | undefined;
    this.take(timeoutMs, this.slotBytes, (slot, length) => {
      item = this.segment.read(slot + 4, length);
    });
    return item!;
  }

  /** Like get, but copies the item into target (no allocation); returns its length. */
  getInto(target: Uint8Array, timeoutMs = Infinity): number {
    let length = 0;
    this.take(timeoutMs, target.length, (slot, itemLength) => {
      length = this.segment.readInto(slot + 4, target.subarray(0, itemLength));
    });
    return length;
  }

  /** What get and getInto share. An item longer than maxLength stays in the buffer (and it throws). */
  private take(timeoutMs: number, maxLength: number, copy: (slot: number, length: number) => void): void {
    if (!this.fullSlots.wait(timeoutMs)) throw new RingBufferTimeoutError(this.channel, 'get', timeoutMs);
    const seg = this.segment;
    let used = -1;
    let length = 0;
    this.mutex.lock(MUTEX_TIMEOUT_MS);
    try {
      const head = seg.load(this.offset + H_HEAD);
      const slot = this.slotOffset(head);
      length = seg.load(slot);
      if (length <= maxLength) {
        copy(slot, length);
        seg.store(this.offset + H_HEAD, (head + 1) % this.slots);
        used = seg.add(this.offset + H_COUNT, -1) - 1;
      }
    } finally {
      this.mutex.unlock();
    }
    if (used < 0) {
      this.fullSlots.post(); // the item stays where it was: give its permit back
      throw new RangeError(
        `${this.channel}: the next item has ${length} bytes and the target only ${maxLength}. Fix: pass a target of slotBytes (${this.slotBytes}) bytes.`,
      );
    }
    if (this.bounded) this.emptySlots.post();
    this.tracer.level(this.channel, used, this.bounded ? this.slots : null);
  }

  private slotOffset(index: number): number {
    return this.offset + HEADER_BYTES + index * this.slotStride;
  }
}
