/**
 * What the message-queue and FIFO benchmark's child programs share (not a program itself): the messages
 * they move, how a receiver checks them, and one way to open, send on and receive from each transport.
 *
 * Endpoints, as the benchmark passes them on the command line:
 *   mqueue:/name   a POSIX message queue the benchmark created; mq_open here (blocking), one message per
 *                  mq_send / mq_receive, the kernel keeps the boundaries
 *   fifo:/path     a FIFO the benchmark made with mkfifo; opened here with a blocking open(2) (it waits for
 *                  the other end: fine in a child, whose event loop has nothing else to do), then
 *                  writeSync/readSync of one message at a time (fixed size: the bytes carry no boundaries)
 *   fd:N           an inherited pipe(2) end at descriptor N, used like the FIFO
 *
 * Messages: `bytes` long, message k carries k as a 32-bit little-endian number in its first 4 bytes and
 * ~k in its last 4, the bytes between are a fixed pattern. The receiver rebuilds message k and compares
 * all of it, so a lost, repeated, reordered, short or corrupted message is caught.
 *
 * Child protocol as in ../shm/payload.ts: `ready` on stdout once set up, then one JSON line at the end.
 */
import { closeSync, constants as fsConstants, openSync, readSync, writeSync } from 'node:fs';
import { native } from '../../../main/native/index.js';

/** How long a side waits for the other (a queue stays full or empty) before it calls the run broken. */
export const STALL_MS = 10_000;
/** Descriptor of the "go" pipe a timed sender waits on (the benchmark writes one byte when all are ready). */
export const GO_FD = 3;

/** A message template: the pattern, with the sequence numbers still to be stamped. */
export function pattern(bytes: number): Buffer {
  if (bytes < 8) throw new RangeError(`messages need at least 8 bytes (got ${bytes})`);
  const buffer = Buffer.alloc(bytes);
  for (let j = 0; j < bytes; j++) buffer[j] = (j * 31 + 7) & 0xff;
  return buffer;
}

/** Writes message k into `message` (a buffer from pattern()). */
export function stamp(message: Buffer, k: number): Buffer {
  message.writeUInt32LE(k >>> 0, 0);
  message.writeUInt32LE(~k >>> 0, message.length - 4);
  return message;
}

export interface MessageReport {
  /** Messages that arrived whole, in order, with the right content. */
  verified: number;
  /** Sequence numbers never seen (gaps, and the missing tail). */
  lost: number;
  /** Messages with a sequence number lower than expected (repeated or reordered). */
  outOfOrder: number;
  /** Wrong length or wrong bytes. */
  corrupted: number;
  /** Bytes after the last expected message (streams: before end of file). */
  extraBytes: number;
  problems: string[];
  problemCount: number;
}

/** Checks messages in arrival order; expects 0, 1, 2... count-1. */
export class MessageChecker {
  private readonly expected: Buffer;
  private next = 0;
  readonly report: MessageReport = { verified: 0, lost: 0, outOfOrder: 0, corrupted: 0, extraBytes: 0, problems: [], problemCount: 0 };

  constructor(
    private readonly bytes: number,
    private readonly count: number,
  ) {
    this.expected = pattern(bytes);
  }

  check(message: Buffer, length: number): void {
    if (length !== this.bytes) {
      this.report.corrupted++;
      this.next++;
      return this.problem(`message ${this.next - 1}: ${length} bytes instead of ${this.bytes}`);
    }
    const k = message.readUInt32LE(0);
    if (k < this.next) {
      this.report.outOfOrder++;
      return this.problem(`carries ${k} after ${this.next - 1} (repeated or reordered)`);
    }
    if (k > this.next) {
      this.report.lost += k - this.next;
      this.problem(`carries ${k}, expected ${this.next} (${k - this.next} lost)`);
    }
    this.next = k + 1;
    if (message.compare(stamp(this.expected, k), 0, this.bytes, 0, this.bytes) !== 0) {
      this.report.corrupted++;
      return this.problem(`message ${k}: content differs`);
    }
    this.report.verified++;
  }

  /** At the end: whatever never came counts as lost. */
  finish(): MessageReport {
    if (this.next < this.count) {
      this.report.lost += this.count - this.next;
      this.problem(`${this.count - this.next} messages missing at the end (last seen ${this.next - 1})`);
    }
    return this.report;
  }

  problem(text: string): void {
    if (this.report.problems.length < 5) this.report.problems.push(text);
    this.report.problemCount++;
  }
}

export interface Endpoint {
  readonly kind: 'mqueue' | 'fifo' | 'pipe';
  /** Sends one whole message (blocking). */
  send(message: Buffer): void;
  /**
   * Receives one message into target (target.length = the message size): its length, 0 at end of file
   * (streams only; a queue has no end of file). Throws if nothing came for STALL_MS.
   */
  receive(target: Buffer): number;
  /** read(2)/mq_receive calls so far. */
  readonly calls: number;
  close(): void;
}

/** Opens an endpoint ("mqueue:/name", "fifo:/path", "fd:N") for sending or receiving (blocking). */
export function openEndpoint(spec: string, direction: 'send' | 'receive'): Endpoint {
  const colon = spec.indexOf(':');
  const kind = spec.slice(0, colon);
  const where = spec.slice(colon + 1);
  if (kind === 'mqueue') return mqueueEndpoint(where, direction);
  if (kind === 'fifo') {
    const fd = openSync(where, direction === 'send' ? fsConstants.O_WRONLY : fsConstants.O_RDONLY);
    return streamEndpoint('fifo', fd);
  }
  if (kind === 'fd') return streamEndpoint('pipe', Number(where));
  throw new Error(`unknown endpoint ${JSON.stringify(spec)}`);
}

function mqueueEndpoint(name: string, direction: 'send' | 'receive'): Endpoint {
  const addon = native();
  const mqd = addon.mqOpen(name, { create: false, access: direction === 'send' ? 'write' : 'read' });
  let calls = 0;
  return {
    kind: 'mqueue',
    send(message) {
      if (addon.mqSend(mqd, message, 0, STALL_MS) === 'timed-out') throw new Error(`the queue stayed full for ${STALL_MS} ms`);
    },
    receive(target) {
      calls++;
      const got = addon.mqReceive(mqd, target, STALL_MS);
      if (got === null) throw new Error(`the queue stayed empty for ${STALL_MS} ms`);
      return got.bytes;
    },
    get calls() {
      return calls;
    },
    close() {
      addon.mqClose(mqd);
    },
  };
}

function streamEndpoint(kind: 'fifo' | 'pipe', fd: number): Endpoint {
  let calls = 0;
  return {
    kind,
    send(message) {
      // At most PIPE_BUF (4096) bytes, so one write(2) is atomic; the loop is for larger messages.
      for (let written = 0; written < message.length;) written += writeSync(fd, message, written, message.length - written);
    },
    receive(target) {
      let filled = 0;
      while (filled < target.length) {
        const n = readSync(fd, target, filled, target.length - filled, null);
        calls++;
        if (n === 0) break; // end of file
        filled += n;
      }
      return filled;
    },
    get calls() {
      return calls;
    },
    close() {
      closeSync(fd);
    },
  };
}

/** Blocks until the benchmark writes the go byte on GO_FD (or closes it). */
export function waitForGo(): void {
  const one = Buffer.alloc(1);
  readSync(GO_FD, one, 0, 1, null);
  closeSync(GO_FD);
}

/**
 * One long JSON line on stdout, written whole even if stdout would block (a report with thousands of
 * samples can exceed what a socket takes at once).
 */
export function tellLong(message: object): void {
  const data = Buffer.from(JSON.stringify(message) + '\n');
  for (let written = 0; written < data.length;) {
    try {
      written += writeSync(1, data, written, data.length - written);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}
