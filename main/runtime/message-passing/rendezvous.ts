/**
 * A rendezvous: message passing with zero capacity.
 *
 * The textbook idea: a link's capacity decides when a sender may go on.
 *   bounded capacity   the sender waits only while the buffer is full;
 *   zero capacity      there is no buffer: the sender waits until the receiver has taken the message.
 * With zero capacity, sender and receiver meet (a *rendezvous*): after send() returns, the sender knows
 * the message arrived, as in Ada's rendezvous or an unbuffered Go channel.
 *
 * POSIX message queues have no zero-capacity mode (every queue holds at least 1 message), so here the
 * rendezvous is built from two queues and an acknowledgement:
 *   send(m)    = put m on the data queue (capacity 1); then wait for an ack on the reply queue.
 *   receive()  = take m from the data queue; then put the ack on the reply queue; return m.
 * The data queue does hold m for a while, but the sender cannot tell: its send() returns only after the
 * receiver took m. That is the point: zero capacity is about what the sender may assume, not about
 * where the bytes sit.
 *
 * The two queues are "<name>" (data) and "<name>-ack" (acknowledgements). Each message carries an
 * 8-byte header (sender pid, sequence number) that the ack sends back, so a sender can check that the
 * ack is for *its* message.
 *
 * One sender and one receiver per rendezvous: with two senders, each ack could release the wrong
 * sender (they wait on the same reply queue). A sender that receives an ack for another process's
 * message throws instead of returning early. For several senders, give each pair its own rendezvous.
 *
 * What can go wrong:
 * - A receiver that never comes: the sender waits for ever. (There is no timeout on send: once the
 *   message is in the data queue it cannot be taken back safely.)
 * - Forgetting unlink(): both queues outlive the processes.
 */
import { Mailbox } from './mailbox.js';
import type { MessageTracer, ReceiveOptions } from './mailbox.js';

const HEADER_BYTES = 8; // [u32 sender pid][u32 sequence number], little-endian

export interface RendezvousOptions {
  tracer?: MessageTracer;
  /**
   * The trace's name for it (default: the data queue's name). The sender's wait for the receiver shows
   * as "<channel> ack: empty"; a receiver waiting for a sender as "<channel>: empty".
   */
  channel?: string;
}

export class Rendezvous {
  /** The largest message in bytes (the queue holds HEADER_BYTES more). */
  readonly messageBytes: number;
  private sequence = 0;
  private readonly ack = Buffer.alloc(HEADER_BYTES);

  private constructor(
    readonly name: string,
    private readonly data: Mailbox,
    private readonly replies: Mailbox,
  ) {
    this.messageBytes = data.messageBytes - HEADER_BYTES;
  }

  /** The reply queue's name for a rendezvous name. */
  static ackName(name: string): string {
    return `${name}-ack`;
  }

  /** Creates both queues (EEXIST if either exists). */
  static create(name: string, options: RendezvousOptions & { messageBytes: number }): Rendezvous {
    const channel = options.channel ?? name;
    const data = Mailbox.create(name, { capacity: 1, messageBytes: options.messageBytes + HEADER_BYTES, channel, tracer: options.tracer });
    try {
      const replies = Mailbox.create(Rendezvous.ackName(name), { capacity: 1, messageBytes: HEADER_BYTES, channel: `${channel} ack`, tracer: options.tracer });
      return new Rendezvous(name, data, replies);
    } catch (error) {
      data.close();
      data.unlink();
      throw error;
    }
  }

  /** Opens a rendezvous another process created (ENOENT if there is none). */
  static open(name: string, options: RendezvousOptions = {}): Rendezvous {
    const channel = options.channel ?? name;
    const data = Mailbox.open(name, { channel, tracer: options.tracer });
    try {
      return new Rendezvous(name, data, Mailbox.open(Rendezvous.ackName(name), { channel: `${channel} ack`, tracer: options.tracer }));
    } catch (error) {
      data.close();
      throw error;
    }
  }

  /** Removes both queues' names without opening them (cleanup; ENOENT ignored). */
  static unlink(name: string): void {
    for (const queue of [name, Rendezvous.ackName(name)]) {
      try {
        Mailbox.unlink(queue);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  }

  /** Hands the message over: returns only once the receiver has taken it. */
  send(message: Uint8Array | string): void {
    const body = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
    if (body.length > this.messageBytes) {
      throw new RangeError(`a message of ${body.length} bytes does not fit rendezvous ${this.name} (messageBytes ${this.messageBytes})`);
    }
    const framed = Buffer.alloc(HEADER_BYTES + body.length);
    framed.writeUInt32LE(process.pid, 0);
    framed.writeUInt32LE((this.sequence = (this.sequence + 1) >>> 0), 4);
    framed.set(body, HEADER_BYTES);
    this.data.send(framed);
    // Now wait for the receiver: its ack comes back with our header.
    const ack = this.replies.receive()!;
    if (!ack.equals(framed.subarray(0, HEADER_BYTES))) {
      throw new Error(
        `rendezvous ${this.name}: the acknowledgement was for message ${ack.readUInt32LE(4)} of process ${ack.readUInt32LE(0)}, ` +
          `not for this process's (${process.pid}) message ${this.sequence}: another sender shares this rendezvous. ` +
          'Fix: one rendezvous per sender and receiver pair',
      );
    }
  }

  /** Takes the next message, waiting for a sender, and releases that sender. */
  receive(): Buffer;
  /** With options as for Mailbox.receive: null if no sender came (non-blocking, or timed out). */
  receive(options: ReceiveOptions): Buffer | null;
  receive(options: ReceiveOptions = {}): Buffer | null {
    const framed = this.data.receive(options);
    if (framed === null) return null;
    framed.copy(this.ack, 0, 0, HEADER_BYTES);
    this.replies.send(this.ack);
    return framed.subarray(HEADER_BYTES);
  }

  /** Closes this process's descriptors of both queues. */
  close(): void {
    this.data.close();
    this.replies.close();
  }

  /** Removes both queues' names. */
  unlink(): void {
    Rendezvous.unlink(this.name);
  }
}
