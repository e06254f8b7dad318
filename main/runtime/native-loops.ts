/**
 * Native loops: the same system calls as a lab program, made by a small C loop in the addon
 * (main/native/measure-loops.c, the source a student reads), so a step can show what the kernel
 * costs beside what the TypeScript program costs.
 *
 * Each function is ONE blocking call: the process, its event loop included, waits inside the C loop
 * until all bytes or round trips are done; no JavaScript runs per message. Call it in a process whose
 * only job at that moment is the loop (a lab program, a bench child), with the peer in another
 * process: the peer may be another native loop or an ordinary TypeScript program on the same kernel
 * object (a pipe, a socket, a queue, a RingBuffer segment).
 *
 * Descriptors: blocking or non-blocking. Node's net.Socket and the mailbox runtime keep theirs
 * O_NONBLOCK; on EAGAIN the loop waits in poll(2) and tries again (what a blocking call does inside
 * the kernel). While the loop runs, nothing else may use the descriptor. Node reads a socket ahead of
 * its listeners: a net.Socket handed in is paused and its reading stopped, and refused if Node has
 * already buffered bytes from it (pause() it right after connect(), pauseOnConnect: true on servers).
 *
 * Times: startNs / endNs are CLOCK_MONOTONIC nanoseconds, the clock of the trace's `ts`
 * (process.hrtime.bigint()), taken just before the first call and just after the last.
 *
 * Errors throw an Error whose `code` is the errno name and `syscall` the failing call, like the rest
 * of the addon. Loops on a queue or a ring give up with ETIMEDOUT after 10 s without progress (neither
 * tells anybody when a peer dies); loops on descriptors end when the peer's end closes.
 */
import { native } from '../native/index.js';
import type { lab as labRuntime } from './lab-runtime.js';
import type { Mailbox } from './message-passing/mailbox.js';
import type { RingBuffer } from './shared-memory/ring-buffer.js';
import type { SharedSegment } from './shared-memory/shared-segment.js';
import type { Socket } from 'node:net';

/** What a loop measured in this process. */
export interface LoopTiming {
  /** CLOCK_MONOTONIC ns just before the first system call. */
  startNs: bigint;
  /** CLOCK_MONOTONIC ns just after the last one returned. */
  endNs: bigint;
  /**
   * Bytes this process moved: written, read, sent, received or copied. A reader that met end of file
   * first stops early, with fewer than totalBytes. Ping and pong count both directions.
   */
  bytes: number;
  /** System calls (or ring puts and gets) that moved data: read/write count partial transfers. */
  calls: number;
  /** Ping loops: the round trips' percentiles in ns (nearest rank). */
  roundTripNs?: { p50: number; p90: number; p99: number };
}

/** A descriptor as a number, or a net.Socket (its descriptor is read from Node's handle). */
export type Descriptor = number | Socket;
/** A POSIX mq descriptor as a number, or a Mailbox (the runtime's, opened non-blocking). */
export type QueueDescriptor = number | Mailbox;
/** A RingBuffer, or a segment whose ring starts at offset 0 (RingBuffer.create's default). */
export type RingLocation = RingBuffer | SharedSegment | { segment: SharedSegment; offset: number };

/** write(2) chunkBytes at a time until totalBytes are written (a pipe, FIFO or stream socket). */
export function writeLoop(fd: Descriptor, totalBytes: number, chunkBytes: number): LoopTiming {
  return native().writeLoop(fdOf(fd), totalBytes, chunkBytes);
}

/** read(2) up to chunkBytes at a time until totalBytes came, or end of file (then `bytes` says how many). */
export function readLoop(fd: Descriptor, totalBytes: number, chunkBytes: number): LoopTiming {
  return native().readLoop(fdOf(fd), totalBytes, chunkBytes);
}

/** roundTrips times: write messageBytes to writeFd, read messageBytes from readFd; each round trip timed. */
export function pingLoop(writeFd: Descriptor, readFd: Descriptor, roundTrips: number, messageBytes: number): LoopTiming {
  return native().pingLoop(fdOf(writeFd), fdOf(readFd), roundTrips, messageBytes);
}

/** roundTrips times: read messageBytes from readFd, write them back to writeFd. */
export function pongLoop(readFd: Descriptor, writeFd: Descriptor, roundTrips: number, messageBytes: number): LoopTiming {
  return native().pongLoop(fdOf(readFd), fdOf(writeFd), roundTrips, messageBytes);
}

/** mq_timedsend(3) messages of messageBytes (the last one shorter) until totalBytes are sent. */
export function mqSendLoop(mqd: QueueDescriptor, totalBytes: number, messageBytes: number): LoopTiming {
  return native().mqSendLoop(mqdOf(mqd), totalBytes, messageBytes);
}

/** mq_timedreceive(3) whole messages until totalBytes came (messageBytes is what the sender sends). */
export function mqReceiveLoop(mqd: QueueDescriptor, totalBytes: number, messageBytes: number): LoopTiming {
  return native().mqReceiveLoop(mqdOf(mqd), totalBytes, messageBytes);
}

/** roundTrips times: send a message of messageBytes on sendMqd, receive the answer on receiveMqd. */
export function mqPingLoop(sendMqd: QueueDescriptor, receiveMqd: QueueDescriptor, roundTrips: number, messageBytes: number): LoopTiming {
  return native().mqPingLoop(mqdOf(sendMqd), mqdOf(receiveMqd), roundTrips, messageBytes);
}

/** roundTrips times: receive a message on receiveMqd, send it back on sendMqd. */
export function mqPongLoop(receiveMqd: QueueDescriptor, sendMqd: QueueDescriptor, roundTrips: number, messageBytes: number): LoopTiming {
  return native().mqPongLoop(mqdOf(receiveMqd), mqdOf(sendMqd), roundTrips, messageBytes);
}

/**
 * RingBuffer.put items of chunkBytes (the last one shorter; at most the ring's slotBytes) until
 * totalBytes are in, with the ring's own protocol (semaphores, mutexes, turn words): a TypeScript
 * RingBuffer may take them out.
 */
export function ringProduceLoop(ring: RingLocation, totalBytes: number, chunkBytes: number): LoopTiming {
  const { handle, offset } = ringOf(ring);
  return native().ringProduceLoop(handle, offset, totalBytes, chunkBytes);
}

/** RingBuffer.get whole items until totalBytes came (chunkBytes is what the producer puts). */
export function ringConsumeLoop(ring: RingLocation, totalBytes: number, chunkBytes: number): LoopTiming {
  const { handle, offset } = ringOf(ring);
  return native().ringConsumeLoop(handle, offset, totalBytes, chunkBytes);
}

/** roundTrips times: put messageBytes into toPeer, get the answer from fromPeer (two rings: each has one direction). */
export function ringPingLoop(toPeer: RingLocation, fromPeer: RingLocation, roundTrips: number, messageBytes: number): LoopTiming {
  const to = ringOf(toPeer);
  const from = ringOf(fromPeer);
  return native().ringPingLoop(to.handle, to.offset, from.handle, from.offset, roundTrips, messageBytes);
}

/** roundTrips times: get an item from fromPeer, put it into toPeer. */
export function ringPongLoop(fromPeer: RingLocation, toPeer: RingLocation, roundTrips: number, messageBytes: number): LoopTiming {
  const from = ringOf(fromPeer);
  const to = ringOf(toPeer);
  return native().ringPongLoop(from.handle, from.offset, to.handle, to.offset, roundTrips, messageBytes);
}

/** Bytes per second over the loop's own interval, in MB/s (10^6 bytes). */
export function megabytesPerSecond(loop: LoopTiming): number {
  const ns = Number(loop.endNs - loop.startNs);
  return ns > 0 ? (loop.bytes * 1000) / ns : 0;
}

/** The trace and measure calls a lab program's `lab` offers (a type only: importing the runtime would start it). */
type LabTracer = Pick<typeof labRuntime, 'emit' | 'flush'>;

/**
 * Runs one loop traced as a single io.begin / io.end pair (not one event per call: a loop makes
 * hundreds of thousands). The io.end's durationNs is the loop's own endNs - startNs; its bytes are
 * what the loop moved. On failure the pair is closed by io.error and the error rethrown.
 */
export function tracedLoop(tracer: LabTracer, op: 'read' | 'write', channel: string, expectedBytes: number, run: () => LoopTiming): LoopTiming {
  tracer.emit('io.begin', { op, channel, bytes: expectedBytes });
  tracer.flush(); // the begin is in the kernel before the loop blocks
  let result: LoopTiming;
  try {
    result = run();
  } catch (error) {
    const failure = error as NodeJS.ErrnoException;
    tracer.emit('io.error', { op, channel, code: failure.code ?? 'EUNKNOWN', message: failure.message });
    throw error;
  }
  tracer.emit('io.end', { op, channel, bytes: result.bytes, durationNs: String(result.endNs - result.startNs) });
  return result;
}

/**
 * The descriptor inside a net.Socket, as kernelRefOf (sockets/traced-socket.ts) reads it. Node reads
 * a socket ahead of its 'data' listeners (up to its highWaterMark), so the socket is paused and its
 * handle's reading stopped first; bytes Node has already taken, or writes it still queues, would
 * be missing from or mixed into the loop's stream, so those are refused.
 */
function fdOf(fd: Descriptor): number {
  if (typeof fd === 'number') return fd;
  const handle = (fd as unknown as { _handle?: { fd?: number; readStop?: () => number; reading?: boolean } })._handle;
  const inner = handle?.fd;
  if (typeof inner !== 'number' || inner < 0) {
    throw new Error(
      'this net.Socket has no descriptor (not connected yet, already closed, or not on Linux/macOS). Fix: run the loop after "connect" and before close.',
    );
  }
  fd.pause();
  if (handle!.reading) {
    handle!.readStop?.();
    handle!.reading = false;
  }
  if (fd.readableLength > 0 || fd.writableLength > 0) {
    throw new Error(
      `this net.Socket has ${fd.readableLength} bytes Node already read and ${fd.writableLength} bytes of writes Node still queues: a native loop on its descriptor would miss or mix them. ` +
        'Fix: start the loop before any data moves (pause() the socket right after connect(), and create the server with pauseOnConnect: true), or after every write has drained.',
    );
  }
  return inner;
}

function mqdOf(mqd: QueueDescriptor): number {
  if (typeof mqd === 'number') return mqd;
  // The mailbox keeps its descriptor private; descriptor() throws a clear error once it is closed.
  return (mqd as unknown as { descriptor(): number }).descriptor();
}

function ringOf(ring: RingLocation): { handle: number; offset: number } {
  const { segment, offset } = 'segment' in ring ? ring : { segment: ring, offset: 0 };
  // The addon handle is SharedSegment's private field: the loop works on the mapping this process has.
  return { handle: (segment as unknown as { handle: number }).handle, offset };
}
