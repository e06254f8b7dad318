/**
 * One logical link, several physical carriers. The textbook separates the two: a *logical* link is
 * what the programs see (send a message, receive a message, at most `capacity` of them on their way),
 * a *physical* link is what carries the bytes. Here the same two calls run over three carriers:
 *
 *   ring  a bounded ring buffer in a POSIX shared-memory segment (../shared-memory/ring-buffer.ts):
 *         `capacity` slots. A send into a full ring sleeps in futex(2) on the "empty slots"
 *         semaphore: the kernel puts it to sleep, but the count is the ring's own, in shared memory.
 *   mq    a POSIX message queue (../message-passing/mailbox.ts) created with mq_maxmsg = `capacity`:
 *         the kernel itself counts the messages and blocks mq_send on a full queue (mq_send(3)).
 *   tcp   a TCP connection on the loopback (../sockets/): a byte stream. The kernel blocks a writer
 *         only when its socket buffers are full, which is bytes (often hundreds of KiB), not messages:
 *         it knows nothing of `capacity`. So this link counts for itself: the receiver hands back one
 *         credit byte for each message its program has taken, and the sender waits (in Node's event
 *         loop: epoll_wait) while `capacity` messages have no credit back yet. That wait is the link's,
 *         not the kernel's; `credits: false` leaves it out, to show the difference.
 *
 * The contract, whatever the carrier:
 *   - send(message) resolves once the message is on the link; while `capacity` messages are on it
 *     (sent, not yet received by the receiver's program) it waits. Messages are 1 to `messageBytes`
 *     bytes (an empty one is the end marker on the ring and the queue).
 *   - receive() resolves with the oldest message, waiting for one; null once the sender has closed.
 *   - every message arrives once, in the order sent (one sender, one receiver).
 *   - waiting() is how many messages have arrived and wait for receive(): the ring's level, the queue's
 *     depth (mq_getattr), or the whole messages Node has read off the socket and not handed out.
 * The receiving end makes the carrier (`createReceiver`: the segment, the queue, or a listening socket)
 * and gives its address; the sender connects with it (`connectSender`). Waits are traced through the
 * tracer as io.begin/io.end op "wait": "<channel>: empty slots" (ring), "<channel>: full" (mq),
 * "<channel>: credits" (tcp).
 */
import { Mailbox, type MessageTracer } from '../message-passing/mailbox.js';
import { RingBuffer } from '../shared-memory/ring-buffer.js';
import { SharedSegment } from '../shared-memory/shared-segment.js';
import { FrameReader, frame } from '../sockets/framing.js';
import { connect, listen, traceAccepted, type SocketTracer, type TracedConnection } from '../sockets/traced-socket.js';

export const CARRIERS = ['ring', 'mq', 'tcp'] as const;
export type Carrier = (typeof CARRIERS)[number];

/** What a link reports through: the lab runtime's `lab` is one. */
export type LinkTracer = MessageTracer & SocketTracer;

export interface LinkSpec {
  carrier: Carrier;
  /** Messages on the link at most (sent, not yet received). */
  capacity: number;
  /** The largest message, in bytes. */
  messageBytes: number;
  /** The name the trace shows for the link. */
  channel: string;
  tracer: LinkTracer;
  /** tcp only: false leaves out the credits, so nothing but the kernel's byte buffers bounds the link. Default true. */
  credits?: boolean;
}

export interface LinkSender {
  send(message: Uint8Array): Promise<void>;
  /** No more messages: the receiver's receive() returns null once it has taken the rest. */
  close(): Promise<void>;
}

export interface LinkReceiver {
  receive(): Promise<Buffer | null>;
  /** Messages arrived and not yet taken by receive(). */
  waiting(): number;
  close(): Promise<void>;
}

/** The kernel object a link is on: a /dev/shm path, a queue's name (as /proc/<pid>/fd shows it), or for tcp the listening address. */
export interface CarrierObject {
  type: 'shm' | 'mqueue' | 'socket';
  name: string;
}

/** TCP credits: one byte back per message taken. */
const CREDIT = Buffer.from([1]);
/** An empty message ends the link on the ring and the queue. */
const END = new Uint8Array(0);

function checkSpec(spec: LinkSpec): void {
  if (!(CARRIERS as readonly string[]).includes(spec.carrier))
    throw new RangeError(`a logical link's carrier is one of ${CARRIERS.join(', ')}, not "${spec.carrier}"`);
  if (!Number.isInteger(spec.capacity) || spec.capacity < 1)
    throw new RangeError(`a logical link holds at least 1 message (capacity ${spec.capacity}). Fix: give it a capacity of 1 or more.`);
  if (!Number.isInteger(spec.messageBytes) || spec.messageBytes < 1)
    throw new RangeError(`a link's messages are at least 1 byte (messageBytes ${spec.messageBytes})`);
}

function checkMessage(spec: LinkSpec, message: Uint8Array): void {
  if (message.length === 0)
    throw new RangeError(`${spec.channel}: a message has at least 1 byte (an empty one would read as the end of the link). Fix: send something.`);
  if (message.length > spec.messageBytes)
    throw new RangeError(
      `${spec.channel}: a message of ${message.length} bytes is longer than the link's ${spec.messageBytes}. Fix: split it, or make the link with larger messages.`,
    );
}

/**
 * The receiving end makes the carrier: `name` is the segment's or queue's full name (lab.shmName,
 * lab.mqName), unused for tcp (it listens on 127.0.0.1, on a port the kernel picks). Resolves with the
 * address to give the sender, the kernel object, and the receiver once the sender is there (at once
 * for the ring and the queue; after accept() for tcp).
 */
export async function createReceiver(spec: LinkSpec, name: string): Promise<{ address: string; object: CarrierObject; receiver: Promise<LinkReceiver> }> {
  checkSpec(spec);
  if (spec.carrier === 'ring') {
    const segment = SharedSegment.create(name, RingBuffer.bytesFor(spec.capacity, spec.messageBytes));
    const ring = RingBuffer.create(segment, { slots: spec.capacity, slotBytes: spec.messageBytes, tracer: spec.tracer, channel: spec.channel });
    const receiver: LinkReceiver = {
      receive: async () => {
        const item = ring.get();
        return item.length === 0 ? null : item;
      },
      waiting: () => ring.used,
      close: async () => {
        segment.unlink();
        segment.detach();
      },
    };
    return { address: name, object: { type: 'shm', name: segment.path }, receiver: Promise.resolve(receiver) };
  }
  if (spec.carrier === 'mq') {
    const box = Mailbox.create(name, { capacity: spec.capacity, messageBytes: spec.messageBytes, tracer: spec.tracer, channel: spec.channel });
    const receiver: LinkReceiver = {
      receive: async () => {
        const message = box.receive()!;
        return message.length === 0 ? null : message;
      },
      waiting: () => box.depth,
      close: async () => {
        box.close();
        box.unlink();
      },
    };
    return { address: name, object: { type: 'mqueue', name: box.name }, receiver: Promise.resolve(receiver) };
  }
  const { server, address } = await listen(spec.tracer, { host: '127.0.0.1', port: 0 }, { channel: `${spec.channel} (listening)`, backlog: 1 });
  const receiver = new Promise<LinkReceiver>((resolve) => {
    server.once('connection', (socket) => {
      server.close(); // one sender: no more connections
      const connection = traceAccepted(spec.tracer, socket, spec.channel, 'tcp');
      resolve(tcpReceiver(spec, connection));
    });
  });
  return { address, object: { type: 'socket', name: address }, receiver };
}

function tcpReceiver(spec: LinkSpec, connection: TracedConnection): LinkReceiver {
  const frames = new FrameReader(spec.messageBytes);
  const arrived: Buffer[] = [];
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  connection.socket.on('data', (chunk: Buffer) => {
    try {
      arrived.push(...frames.push(chunk));
    } catch (error) {
      failure ??= error as Error;
    }
    wake?.();
  });
  const end = (error?: Error) => {
    ended = true;
    if (error) failure ??= error;
    wake?.();
  };
  connection.socket.on('end', () => end());
  connection.socket.on('close', () => end());
  connection.socket.on('error', (error: Error) => end(error));
  const credits = spec.credits ?? true;
  return {
    receive: async () => {
      while (arrived.length === 0 && !ended && !failure) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      const message = arrived.shift();
      if (message === undefined) {
        if (failure) throw failure;
        return null;
      }
      if (credits) await connection.write(CREDIT); // this message is taken: the sender may send one more
      return message;
    },
    waiting: () => arrived.length,
    close: async () => {
      connection.end();
      await connection.closed;
    },
  };
}

/** The sending end, on the carrier at `address` (what createReceiver gave). */
export async function connectSender(spec: LinkSpec, address: string): Promise<{ sender: LinkSender; object: CarrierObject }> {
  checkSpec(spec);
  if (spec.carrier === 'ring') {
    const segment = SharedSegment.attach(address);
    const ring = RingBuffer.attach(segment, { tracer: spec.tracer, channel: spec.channel });
    if (ring.capacity !== spec.capacity || ring.slotBytes !== spec.messageBytes)
      throw new Error(
        `${spec.channel}: the ring at ${address} holds ${ring.capacity} messages of ${ring.slotBytes} bytes, not ${spec.capacity} of ${spec.messageBytes}. Fix: give both ends the same link.`,
      );
    const sender: LinkSender = {
      send: async (message) => {
        checkMessage(spec, message);
        ring.put(message); // sleeps in futex(2) on "empty slots" while the ring is full
      },
      close: async () => {
        ring.put(END);
        segment.detach();
      },
    };
    return { sender, object: { type: 'shm', name: segment.path } };
  }
  if (spec.carrier === 'mq') {
    const box = Mailbox.open(address, { tracer: spec.tracer, channel: spec.channel });
    if (box.capacity !== spec.capacity)
      throw new Error(`${spec.channel}: the queue ${address} holds ${box.capacity} messages, not ${spec.capacity}. Fix: give both ends the same link.`);
    const sender: LinkSender = {
      send: async (message) => {
        checkMessage(spec, message);
        box.send(message); // the kernel blocks mq_send while the queue holds mq_maxmsg messages
      },
      close: async () => {
        box.send(END);
        box.close();
      },
    };
    return { sender, object: { type: 'mqueue', name: box.name } };
  }
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  const connection = await connect(spec.tracer, { host: '127.0.0.1', port }, spec.channel);
  return { sender: tcpSender(spec, connection), object: { type: 'socket', name: address } };
}

function tcpSender(spec: LinkSpec, connection: TracedConnection): LinkSender {
  const credits = spec.credits ?? true;
  let outstanding = 0;
  let creditCame: (() => void) | undefined;
  connection.socket.on('data', (chunk: Buffer) => {
    outstanding -= chunk.length; // one byte per message the receiver has taken
    creditCame?.();
  });
  return {
    send: async (message) => {
      checkMessage(spec, message);
      if (credits && outstanding >= spec.capacity) {
        const channel = `${spec.channel}: credits`;
        spec.tracer.waitBegin(channel);
        const start = process.hrtime.bigint();
        while (outstanding >= spec.capacity) await new Promise<void>((resolve) => (creditCame = resolve));
        creditCame = undefined;
        spec.tracer.waitEnd(channel, process.hrtime.bigint() - start, 'ok');
      }
      outstanding++;
      await connection.write(frame(message));
    },
    close: async () => {
      connection.end();
      await connection.closed;
    },
  };
}
