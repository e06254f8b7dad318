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
 * its listeners: a net.Socket handed in has its reading stopped for the loop (and started again after
 * it), and is refused if Node has already buffered bytes from it or still queues writes to it.
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
  return onDescriptors([fd], ([f]) => native().writeLoop(f!, totalBytes, chunkBytes));
}

/** read(2) up to chunkBytes at a time until totalBytes came, or end of file (then `bytes` says how many). */
export function readLoop(fd: Descriptor, totalBytes: number, chunkBytes: number): LoopTiming {
  return onDescriptors([fd], ([f]) => native().readLoop(f!, totalBytes, chunkBytes));
}

/** roundTrips times: write messageBytes to writeFd, read messageBytes from readFd; each round trip timed. */
export function pingLoop(writeFd: Descriptor, readFd: Descriptor, roundTrips: number, messageBytes: number): LoopTiming {
  return onDescriptors([writeFd, readFd], ([w, r]) => native().pingLoop(w!, r!, roundTrips, messageBytes));
}

/** roundTrips times: read messageBytes from readFd, write them back to writeFd. */
export function pongLoop(readFd: Descriptor, writeFd: Descriptor, roundTrips: number, messageBytes: number): LoopTiming {
  return onDescriptors([readFd, writeFd], ([r, w]) => native().pongLoop(r!, w!, roundTrips, messageBytes));
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

type SocketHandle = { fd?: number; readStart?: () => number; readStop?: () => number; reading?: boolean };

/**
 * Runs a loop on the descriptors, net.Sockets turned into theirs (as kernelRefOf in
 * sockets/traced-socket.ts reads it). Node reads a socket ahead of its 'data' listeners, so a socket's
 * reading is stopped for the loop and started again after it (the socket is left as it was found);
 * bytes Node has already taken, or writes it still queues, would be missing from or mixed into the
 * loop's stream, so those are refused.
 */
function onDescriptors(ends: Descriptor[], run: (fds: number[]) => LoopTiming): LoopTiming {
  const stopped: SocketHandle[] = [];
  try {
    const fds = ends.map((end) => {
      if (typeof end === 'number') return end;
      const handle = (end as unknown as { _handle?: SocketHandle })._handle;
      if (typeof handle?.fd !== 'number' || handle.fd < 0) {
        throw new Error(
          'this net.Socket has no descriptor (not connected yet, already closed, or not on Linux/macOS). Fix: run the loop after "connect" and before close.',
        );
      }
      if (handle.reading && !stopped.includes(handle)) {
        handle.readStop?.();
        handle.reading = false;
        stopped.push(handle);
      }
      if (end.readableLength > 0 || end.writableLength > 0) {
        throw new Error(
          `this net.Socket has ${end.readableLength} bytes Node already read and ${end.writableLength} bytes of writes Node still queues: a native loop on its descriptor would miss or mix them. ` +
            'Fix: start the loop when no data is on its way (the peer waits for a word from this side first), and after every write has been flushed (its callback).',
        );
      }
      return handle.fd;
    });
    return run(fds);
  } finally {
    // Node's stream still thinks its read is pending (it is, in libuv terms): start the handle again.
    for (const handle of stopped) {
      handle.reading = true;
      handle.readStart?.();
    }
  }
}

function mqdOf(mqd: QueueDescriptor): number {
  if (typeof mqd === 'number') return mqd;
  return mqd.descriptor(); // throws a clear error once the mailbox is closed
}

function ringOf(ring: RingLocation): { handle: number; offset: number } {
  const { segment, offset } = 'segment' in ring ? ring : { segment: ring, offset: 0 };
  return { handle: segment.handle, offset }; // the loop works on the mapping this process has
}
