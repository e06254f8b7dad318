/**
 * The two ends of one logical link, carried three ways: a ring buffer in a shared-memory segment
 * (main/runtime/shared-memory/ring-buffer.ts), an ordinary pipe, or a POSIX message queue
 * (main/runtime/message-passing/mailbox.ts). The programs of the measured steps move the same bytes
 * through each and time them; this module is the only place that knows how each carrier is made.
 *
 * Each link has two directions: "ping" (sender to receiver: the bulk data and the pings) and "pong"
 * (receiver to sender: the pongs, and the one-byte "go" and "ready" signals that start each timed
 * phase, so that no phase starts before the other side is ready and no buffer is filled in advance).
 * Channels are named "<mechanism> ping" and "<mechanism> pong": the checks find each phase by them.
 *
 * `carrier: pipe` makes the "ring" link out of pipes too: the variant that takes shared memory away.
 */
import { readFileSync } from 'node:fs';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { Mailbox } from '../../../main/runtime/message-passing/mailbox.js';
import * as loops from '../../../main/runtime/native-loops.js';
import { RingBuffer } from '../../../main/runtime/shared-memory/ring-buffer.js';
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';

export type Mechanism = 'ring' | 'pipe' | 'mq';
export const MECHANISMS: readonly Mechanism[] = ['ring', 'pipe', 'mq'];
/** Who runs a phase's loop: the TypeScript program, a call at a time, or a C loop in the addon. */
export type Language = 'ts' | 'c';
export const LANGUAGES: readonly Language[] = ['ts', 'c'];

/** The channel a C loop's one traced call is on: the checks tell it from the program's own calls by it. */
export function nativeChannel(mechanism: Mechanism): string {
  return `${mechanism} ping, C loop`;
}

/** Slots of each ring (the pipe holds 16 pages, a queue 10 messages: all a few items deep). */
const RING_SLOTS = 8;
/** Messages a queue holds: msg_max's default, the most an ordinary process may ask for (mq_overview(7)). */
const MQ_CAPACITY = 10;

/**
 * The largest message a queue may be created with: /proc/sys/fs/mqueue/msgsize_max (8192 by default,
 * mq_overview(7)); a send of more than the queue's message size fails with EMSGSIZE (mq_send(3)).
 */
export function mqMessageLimit(): number {
  try {
    return Number(readFileSync('/proc/sys/fs/mqueue/msgsize_max', 'utf8').trim()) || 8192;
  } catch {
    return 8192;
  }
}

/** One side's view of a link: send a message one way, receive the other way. */
export interface LinkEnd {
  readonly mechanism: Mechanism;
  /** The largest message this link carries from the sender (the ring's slot, the queue's message size). */
  readonly largestMessage: number;
  send(data: Uint8Array): void;
  /** One message into `target` (a pipe: whatever one read(2) returns, up to target.length); its length. */
  receiveSome(target: Buffer): number;
  /** Exactly target.length bytes (a pipe may need several reads; a ring or a queue gives one message). */
  receiveWhole(target: Buffer): void;
  /**
   * The same phases as one C loop each (main/runtime/native-loops.ts) on the same kernel objects,
   * traced as a single io.begin/io.end on nativeChannel(mechanism). No JavaScript runs per message.
   */
  readonly native: NativeLoops;
  close(): void;
}

export interface NativeLoops {
  sendBulk(total: number, chunk: number): loops.LoopTiming;
  receiveBulk(total: number, chunk: number): loops.LoopTiming;
  ping(roundTrips: number, bytes: number): loops.LoopTiming;
  pong(roundTrips: number, bytes: number): loops.LoopTiming;
}

/** Each loop as one traced call: bulk sends and pings are writes, receives and pongs reads. */
function tracedLoops(mechanism: Mechanism, raw: NativeLoops): NativeLoops {
  const channel = nativeChannel(mechanism);
  return {
    sendBulk: (total, chunk) => loops.tracedLoop(lab, 'write', channel, total, () => raw.sendBulk(total, chunk)),
    receiveBulk: (total, chunk) => loops.tracedLoop(lab, 'read', channel, total, () => raw.receiveBulk(total, chunk)),
    ping: (n, bytes) => loops.tracedLoop(lab, 'write', channel, 2 * n * bytes, () => raw.ping(n, bytes)),
    pong: (n, bytes) => loops.tracedLoop(lab, 'read', channel, 2 * n * bytes, () => raw.pong(n, bytes)),
  };
}

export interface LinkGeometry {
  /** The largest message the sender will send (bulk chunks and pings). */
  largestMessage: number;
  /** The largest message the receiver will send back (pongs). */
  largestReply: number;
}

const SIGNAL = Buffer.from([1]);

/** The receiver's one-byte "I am ready, start now". */
export function signal(link: LinkEnd): void {
  link.send(SIGNAL);
}

/** Waits for the other side's signal. */
export function awaitSignal(link: LinkEnd): void {
  link.receiveWhole(Buffer.alloc(SIGNAL.length));
}

/**
 * The sender's end of a new link, and the descriptors its receiver must be handed (pipes only).
 * `carrier` 'pipe' builds even the ring link from pipes (the variant without shared memory).
 */
export function createLink(
  mechanism: Mechanism,
  geometry: LinkGeometry,
  carrier: 'segment' | 'pipe' = 'segment',
): { end: LinkEnd; fds: Record<string, number>; handedOver(): void } {
  if (mechanism === 'pipe' || (mechanism === 'ring' && carrier === 'pipe')) return createPipeLink(mechanism, geometry);
  if (mechanism === 'ring') return { end: createRingLink(geometry), fds: {}, handedOver() {} };
  return { end: createMqLink(geometry), fds: {}, handedOver() {} };
}

/** The receiver's end of the link its sender made. */
export function openLink(mechanism: Mechanism, carrier: 'segment' | 'pipe' = 'segment'): LinkEnd {
  if (mechanism === 'pipe' || (mechanism === 'ring' && carrier === 'pipe')) return pipeEnd(mechanism, lab.fd('ping'), lab.fd('pong'), 'read');
  if (mechanism === 'ring') return openRingLink();
  return openMqLink();
}

// Pipes: two of them, one per direction (a pipe carries bytes one way, pipe(7)).

function createPipeLink(mechanism: Mechanism, geometry: LinkGeometry) {
  const ping = lab.pipe(`${mechanism} ping`);
  const pong = lab.pipe(`${mechanism} pong`);
  const end = pipeEnd(mechanism, pong.readFd, ping.writeFd, 'write', geometry.largestMessage);
  return {
    end,
    fds: { ping: ping.readFd, pong: pong.writeFd },
    // The receiver's ends, closed here once it has them: its read() then sees end of file when we close ours.
    handedOver() {
      lab.close(ping.readFd, `${mechanism} ping`, 'read');
      lab.close(pong.writeFd, `${mechanism} pong`, 'write');
    },
  };
}

/** `side` 'write': the sender (writes ping, reads pong); 'read': the receiver (reads ping, writes pong). */
function pipeEnd(mechanism: Mechanism, readFd: number, writeFd: number, side: 'read' | 'write', largestMessage = Infinity): LinkEnd {
  const [inbound, outbound] = side === 'write' ? [`${mechanism} pong`, `${mechanism} ping`] : [`${mechanism} ping`, `${mechanism} pong`];
  return {
    mechanism,
    largestMessage,
    send: (data) => void lab.write(writeFd, outbound, data),
    receiveSome: (target) => lab.read(readFd, inbound, target),
    receiveWhole(target) {
      for (let filled = 0; filled < target.length;) {
        const got = lab.read(readFd, inbound, target.subarray(filled));
        if (got === 0) throw new Error(`${inbound}: end of file after ${filled} of ${target.length} bytes: the other side closed its end early.`);
        filled += got;
      }
    },
    native: tracedLoops(mechanism, {
      sendBulk: (total, chunk) => loops.writeLoop(writeFd, total, chunk),
      receiveBulk: (total, chunk) => loops.readLoop(readFd, total, chunk),
      ping: (n, bytes) => loops.pingLoop(writeFd, readFd, n, bytes),
      pong: (n, bytes) => loops.pongLoop(readFd, writeFd, n, bytes),
    }),
    close() {
      lab.close(readFd, inbound, 'read');
      lab.close(writeFd, outbound, 'write');
    },
  };
}

// The ring: one segment, two ring buffers in it (ping at offset 0, pong after it).

const align8 = (n: number): number => (n + 7) & ~7;

function createRingLink(geometry: LinkGeometry): LinkEnd {
  const pingBytes = align8(RingBuffer.bytesFor(RING_SLOTS, geometry.largestMessage));
  const segment = SharedSegment.create(lab.shmName('ring'), pingBytes + RingBuffer.bytesFor(RING_SLOTS, geometry.largestReply));
  const ping = RingBuffer.create(segment, { slots: RING_SLOTS, slotBytes: geometry.largestMessage, tracer: lab, channel: 'ring ping' });
  const pong = RingBuffer.create(segment, { slots: RING_SLOTS, slotBytes: geometry.largestReply, offset: pingBytes, tracer: lab, channel: 'ring pong' });
  // The receiver finds the pong ring where this one put it: right after the ping ring, 8-aligned.
  lab.emit('object.create', {
    channel: 'ring ping',
    object: { type: 'shm', name: segment.path },
    detail: `two rings of ${RING_SLOTS} slots: ping (${geometry.largestMessage} bytes each) at offset 0, pong (${geometry.largestReply} bytes each) at ${pingBytes}`,
  });
  return ringEnd(pong, ping, () => {
    segment.unlink();
    segment.detach();
  });
}

function openRingLink(): LinkEnd {
  const segment = SharedSegment.attach(lab.shmName('ring'));
  const ping = RingBuffer.attach(segment, { tracer: lab, channel: 'ring ping' });
  const pong = RingBuffer.attach(segment, { offset: align8(RingBuffer.bytesFor(ping.slots, ping.slotBytes)), tracer: lab, channel: 'ring pong' });
  lab.emit('object.open', { channel: 'ring ping', object: { type: 'shm', name: segment.path }, detail: 'shm_open + mmap(MAP_SHARED)' });
  return ringEnd(ping, pong, () => segment.detach());
}

function ringEnd(inbound: RingBuffer, outbound: RingBuffer, release: () => void): LinkEnd {
  // getInto wants room for a whole slot: receive into a scratch slot when the target is smaller.
  const scratch = Buffer.alloc(inbound.slotBytes);
  const receiveSome = (target: Buffer): number => {
    if (target.length >= inbound.slotBytes) return inbound.getInto(target);
    const length = inbound.getInto(scratch);
    scratch.copy(target, 0, 0, Math.min(length, target.length));
    return length;
  };
  return {
    mechanism: 'ring',
    largestMessage: outbound.slotBytes,
    send: (data) => outbound.put(data),
    receiveSome,
    receiveWhole(target) {
      const length = receiveSome(target);
      if (length !== target.length) throw new Error(`${inbound.channel}: a message of ${length} bytes, expected ${target.length}.`);
    },
    native: tracedLoops('ring', {
      sendBulk: (total, chunk) => loops.ringProduceLoop(outbound, total, chunk),
      receiveBulk: (total, chunk) => loops.ringConsumeLoop(inbound, total, chunk),
      ping: (n, bytes) => loops.ringPingLoop(outbound, inbound, n, bytes),
      pong: (n, bytes) => loops.ringPongLoop(inbound, outbound, n, bytes),
    }),
    close: release,
  };
}

// POSIX message queues: one per direction.

function createMqLink(geometry: LinkGeometry): LinkEnd {
  const limit = mqMessageLimit();
  const make = (direction: 'ping' | 'pong', bytes: number) => {
    const mailbox = Mailbox.create(lab.mqName(`mq-${direction}`), { capacity: MQ_CAPACITY, messageBytes: bytes, tracer: lab, channel: `mq ${direction}` });
    lab.emit('object.create', {
      channel: `mq ${direction}`,
      object: { type: 'mqueue', name: mailbox.name },
      detail: `mq_open(O_CREAT), ${MQ_CAPACITY} messages of up to ${bytes} bytes`,
    });
    return mailbox;
  };
  const ping = make('ping', Math.min(geometry.largestMessage, limit));
  const pong = make('pong', Math.min(Math.max(geometry.largestReply, 1), limit));
  return mqEnd(pong, ping, () => {
    for (const box of [ping, pong]) {
      box.close();
      box.unlink();
    }
  });
}

function openMqLink(): LinkEnd {
  const open = (direction: 'ping' | 'pong') => {
    const mailbox = Mailbox.open(lab.mqName(`mq-${direction}`), { tracer: lab, channel: `mq ${direction}` });
    lab.emit('object.open', { channel: `mq ${direction}`, object: { type: 'mqueue', name: mailbox.name }, detail: 'mq_open' });
    return mailbox;
  };
  const ping = open('ping');
  const pong = open('pong');
  return mqEnd(ping, pong, () => {
    ping.close();
    pong.close();
  });
}

function mqEnd(inbound: Mailbox, outbound: Mailbox, release: () => void): LinkEnd {
  const receiveSome = (target: Buffer): number => {
    const message = inbound.receive();
    if (!message) throw new Error(`${inbound.channel}: no message`);
    message.copy(target, 0, 0, Math.min(message.length, target.length));
    return message.length;
  };
  return {
    mechanism: 'mq',
    largestMessage: outbound.messageBytes,
    send: (data) => void outbound.send(data),
    receiveSome,
    receiveWhole(target) {
      const length = receiveSome(target);
      if (length !== target.length) throw new Error(`${inbound.channel}: a message of ${length} bytes, expected ${target.length}.`);
    },
    native: tracedLoops('mq', {
      sendBulk: (total, chunk) => loops.mqSendLoop(outbound, total, chunk),
      receiveBulk: (total, chunk) => loops.mqReceiveLoop(inbound, total, chunk),
      ping: (n, bytes) => loops.mqPingLoop(outbound, inbound, n, bytes),
      pong: (n, bytes) => loops.mqPongLoop(inbound, outbound, n, bytes),
    }),
    close: release,
  };
}
