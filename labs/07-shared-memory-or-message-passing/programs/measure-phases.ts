/**
 * The two timed phases both measured scenarios share: a bulk transfer in chunks, and ping-pong round
 * trips. Each phase is bracketed by trace events (a note or a snapshot request: their `ts` is the
 * monotonic clock of every process), so the checks time it from the trace, not from the program.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { awaitSignal, signal, type LinkEnd } from './measure-carriers.js';

/** `total` bytes as chunks of `chunk` bytes (the last may be shorter); each starts with its number. */
export function* bulkChunks(total: number, chunk: number): Generator<Buffer> {
  const piece = Buffer.alloc(chunk);
  for (let sent = 0, n = 0; sent < total; sent += chunk, n++) {
    const length = Math.min(chunk, total - sent);
    if (length >= 4) piece.writeUInt32LE(n, 0);
    yield length === chunk ? piece : piece.subarray(0, length);
  }
}

/**
 * The receiver's side of a bulk transfer: says "go", takes bytes until `total` have come, and returns
 * the count. `start` is noted just before "go": the phase's time runs from it to whatever the caller
 * stamps next (its snapshot request after the transfer).
 */
export function receiveBulk(link: LinkEnd, total: number, chunk: number, start: string): number {
  const target = Buffer.alloc(Math.max(chunk, 1));
  lab.note(start);
  signal(link);
  let got = 0;
  while (got < total) {
    const length = link.receiveSome(target);
    if (length === 0) throw new Error(`${link.mechanism}: the sender closed the link after ${got} of ${total} bytes.`);
    got += length;
  }
  return got;
}

/**
 * The same two phases run by C loops (LinkEnd.native): each a single traced call, whose io.begin and
 * io.end the checks time it by. The ping loop's median round trip, timed by the loop itself on the
 * trace's clock, is given as a measure: the trace has no event per round trip to take it from.
 */
export const nativePhases = {
  /** Sender: waits for "go", sends `total` bytes in chunks, waits for "ready", then pings. */
  send(link: LinkEnd, total: number, chunk: number, roundTrips: number, bytes: number, phase: string): void {
    awaitSignal(link);
    link.native.sendBulk(total, chunk);
    awaitSignal(link);
    const timing = link.native.ping(roundTrips, bytes);
    if (timing.roundTripNs)
      lab.measure(`${phase} C round trip p50`, timing.roundTripNs.p50 / 1000, 'µs', "the C loop's own timing of each round trip (CLOCK_MONOTONIC)");
  },
  /** Receiver: says "go", takes `total` bytes, says "ready", answers the pings; what it took. */
  receive(link: LinkEnd, total: number, chunk: number, roundTrips: number, bytes: number, between?: { before: string; after: string }): number {
    if (between) lab.snapshot(between.before);
    signal(link);
    const { bytes: got } = link.native.receiveBulk(total, chunk);
    if (between) lab.snapshot(between.after);
    signal(link);
    const pong = link.native.pong(roundTrips, bytes);
    return got + pong.bytes / 2;
  },
};

export const roundTrip = {
  /**
   * The sender's side: `count` pings of `bytes` bytes, each waiting for its pong. Noted before the first
   * ping and after the last pong ("<phase>: start" and "<phase>: end"): the checks time the phase by them.
   */
  ping(link: LinkEnd, count: number, bytes: number, phase = `${link.mechanism} round trips`): void {
    const ping = Buffer.alloc(bytes, 0x70);
    const pong = Buffer.alloc(bytes);
    lab.note(`${phase}: start`);
    for (let i = 0; i < count; i++) {
      link.send(ping);
      link.receiveWhole(pong);
    }
    lab.note(`${phase}: end`);
  },
  /** The receiver's side: answers `count` pings with a pong of the same bytes. */
  pong(link: LinkEnd, count: number, bytes: number): void {
    const message = Buffer.alloc(bytes);
    for (let i = 0; i < count; i++) {
      link.receiveWhole(message);
      link.send(message);
    }
  },
};

/** The message sizes of a sweep: `smallest`, then each `factor` times the last, up to `largest`. */
function sweepSizes(smallest: number, largest: number, factor: number): number[] {
  if (smallest > largest)
    throw new RangeError(
      `The smallest message (${smallest} bytes) is larger than the largest (${largest} bytes), so the sweep has no size to measure. Fix: make Smallest message at most Largest message.`,
    );
  const sizes: number[] = [];
  for (let size = smallest; size <= largest; size *= factor) sizes.push(size);
  return sizes;
}

/**
 * The sizes this run's parameters give (smallestBytes, largestBytes, sizeStep). Parameters that give
 * none end the program with exit code 2 and the sentence that says why on stderr, not a stack trace:
 * the mistake is the student's choice of sizes, not the program's (the check says the same).
 */
export function sweepSizesOfThisRun(): number[] {
  try {
    return sweepSizes(lab.int('smallestBytes'), lab.int('largestBytes'), lab.choice('sizeStep') === 'x2' ? 2 : 4);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    process.stderr.write(`${lab.role}: ${error.message}\n`);
    process.exit(2);
  }
}

/**
 * How much of each size a sweep moves: about `bytesPerSize` bytes of bulk (at least 16 messages, at
 * most `maxMessages`, so that tiny messages stay within the run's event budget) and as many round
 * trips as fit in the same bytes (at least 8, at most `maxRoundTrips`).
 */
export function sweepCounts(size: number, bytesPerSize: number, maxMessages: number, maxRoundTrips: number): { messages: number; roundTrips: number } {
  const fit = Math.floor(bytesPerSize / size);
  return { messages: Math.min(maxMessages, Math.max(16, fit)), roundTrips: Math.min(maxRoundTrips, Math.max(8, fit)) };
}
