/**
 * Length-prefixed framing: how to send messages over a byte stream.
 *
 * A stream socket (TCP, or a Unix SOCK_STREAM socket) carries bytes, not messages: two writes of 100
 * bytes may arrive as one read of 200, or as reads of 37 and 163, and Node hands a program at most
 * 64 KiB per 'data' event. So each message goes out as a 4-byte big-endian length, then that many bytes;
 * the reader gathers bytes until a whole message is there.
 *
 *   | 00 00 00 05 | h e l l o | 00 00 00 02 | h i | ...
 *
 * A length larger than the reader accepts is garbage (or an attack): the reader reports it instead of
 * waiting for gigabytes that will never come.
 */

import type { Socket } from 'node:net';

export const FRAME_HEADER_BYTES = 4;
/** Largest message a FrameReader accepts unless told otherwise. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** One message as it goes on the wire: its length, then its bytes (one buffer, so one write). */
export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

export class FrameError extends Error {
  constructor(
    message: string,
    readonly code = 'EBADMSG',
  ) {
    super(message);
  }
}

/** Reassembles messages from the chunks a stream delivers. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** Bytes received but not yet part of a whole message. */
  get pending(): number {
    return this.buffered;
  }

  /** Adds a chunk; returns the messages it completed (maybe none, maybe several). Throws FrameError on a bad length. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const messages: Buffer[] = [];
    for (;;) {
      if (this.buffered < FRAME_HEADER_BYTES) break;
      const length = this.peekLength();
      if (length > this.maxFrameBytes)
        throw new FrameError(
          `a message announced ${length} bytes, more than the ${this.maxFrameBytes} this reader accepts: the peer is not speaking this protocol (4-byte big-endian length, then the bytes)`,
        );
      if (this.buffered < FRAME_HEADER_BYTES + length) break;
      const whole = this.take(FRAME_HEADER_BYTES + length);
      messages.push(whole.subarray(FRAME_HEADER_BYTES));
    }
    return messages;
  }

  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.length >= FRAME_HEADER_BYTES) return first.readUInt32BE(0);
    // The length itself is split across chunks: gather its 4 bytes only (never the whole backlog).
    const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    let filled = 0;
    for (const chunk of this.chunks) {
      filled += chunk.copy(header, filled, 0, Math.min(chunk.length, FRAME_HEADER_BYTES - filled));
      if (filled === FRAME_HEADER_BYTES) break;
    }
    return header.readUInt32BE(0);
  }

  private take(bytes: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= bytes) {
      // The common case: the message is inside the first chunk; no copy.
      const out = first.subarray(0, bytes);
      if (first.length === bytes) this.chunks.shift();
      else this.chunks[0] = first.subarray(bytes);
      this.buffered -= bytes;
      return out;
    }
    const out = Buffer.allocUnsafe(bytes);
    let filled = 0;
    while (filled < bytes) {
      const chunk = this.chunks[0]!;
      const n = Math.min(chunk.length, bytes - filled);
      chunk.copy(out, filled, 0, n);
      filled += n;
      if (n === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(n);
    }
    this.buffered -= bytes;
    return out;
  }
}

/**
 * A test pattern to verify every byte of a stream: byte i is (i * 7) mod 251. The modulus is prime, so
 * no power-of-two chunking lines up with it, and a lost, repeated or misplaced chunk is caught.
 * The pattern repeats every 251 bytes, so any stretch of it is a slice of one precomputed buffer.
 */
const PATTERN_PERIOD = 251;
let patternCache = Buffer.alloc(0);

/** `length` bytes of the pattern, from `streamOffset` on (a view of a shared buffer: do not modify). */
export function patternBytes(streamOffset: number, length: number): Buffer {
  if (patternCache.length < length + PATTERN_PERIOD) {
    patternCache = Buffer.allocUnsafe(length + PATTERN_PERIOD);
    for (let i = 0; i < patternCache.length; i++) patternCache[i] = (i * 7) % PATTERN_PERIOD;
  }
  const start = streamOffset % PATTERN_PERIOD;
  return patternCache.subarray(start, start + length);
}

/** Index of the first byte of `chunk` (at `streamOffset` in the stream) that breaks the pattern, or -1. */
export function checkPattern(chunk: Uint8Array, streamOffset: number): number {
  const expected = patternBytes(streamOffset, chunk.length);
  if (expected.equals(chunk)) return -1; // memcmp: the common case is fast
  for (let i = 0; i < chunk.length; i++) if (chunk[i] !== expected[i]) return i;
  return -1;
}

/**
 * The messages arriving on a stream socket, one at a time: `await inbox.next()` gives the next whole
 * message, or undefined once the peer has closed. A malformed length rejects with FrameError.
 */
export class FrameInbox {
  private readonly reader: FrameReader;
  private readonly ready: Buffer[] = [];
  private waiter: { resolve: (m: Buffer | undefined) => void; reject: (e: Error) => void } | undefined;
  private ended = false;
  private failure: Error | undefined;

  constructor(socket: Socket, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.reader = new FrameReader(maxFrameBytes);
    socket.on('data', (chunk: Buffer) => {
      if (this.failure) return;
      try {
        this.ready.push(...this.reader.push(chunk));
      } catch (error) {
        this.failure = error as Error;
      }
      this.wake();
    });
    const end = () => {
      this.ended = true;
      this.wake();
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', (error: Error) => {
      this.failure ??= error;
      this.wake();
    });
  }

  next(): Promise<Buffer | undefined> {
    if (this.ready.length > 0) return Promise.resolve(this.ready.shift());
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  private wake(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    if (this.ready.length > 0) waiter.resolve(this.ready.shift());
    else if (this.failure) waiter.reject(this.failure);
    else if (this.ended) waiter.resolve(undefined);
    else return;
    this.waiter = undefined;
  }
}
