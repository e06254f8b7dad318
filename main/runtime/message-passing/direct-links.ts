/**
 * Direct naming: processes name each other, not a mailbox.
 *
 * The textbook idea (symmetric direct communication):
 *   send(P, message)      send a message to process P
 *   receive(Q)            receive a message from process Q
 * and the properties of the *link* between two processes:
 * - it is set up automatically: two processes only need each other's names;
 * - it joins exactly two processes, and each pair has exactly one link.
 *
 * Here a process's name is a word like "parent" or "child-1", and the link from A to B is one POSIX
 * message queue, named by the caller's `nameFor(A, B)`; the link from B to A is another queue, so a
 * pair's (two-way) link is two queues. "Automatically" means: whichever of A and B touches a queue first
 * creates it (O_CREAT without O_EXCL), the other simply opens the same one; nobody has to go first.
 * The sizes given by the creator win (both sides should pass the same capacity and messageBytes).
 *
 * What direct naming costs, compared with a mailbox: a receiver must say whom it expects. receive(Q)
 * waits for Q even when R has sent something already (R's message waits in its own queue). The
 * asymmetric variant, receive(any) that tells who sent it, would need one shared queue per receiver
 * and the sender's name written into each message: that is a mailbox again.
 *
 * What can go wrong:
 * - Two processes that both send first to each other, with full links, block each other for ever
 *   (a deadlock): each waits for the other to receive.
 * - The queues outlive the processes: someone must call unlinkAll() (any process may; names are known).
 */
import { Mailbox } from './mailbox.js';
import type { MessageTracer, ReceiveOptions, SendOptions } from './mailbox.js';

export interface DirectLinksOptions {
  /** The queue name of the link from `from` to `to`: '/name', no other '/'. */
  nameFor(from: string, to: string): string;
  /** Messages a link holds (≥ 1). */
  capacity: number;
  /** The largest message in bytes. */
  messageBytes: number;
  /** Waits show as "link parent→child: full" (sender) and "link parent→child: empty" (receiver). */
  tracer?: MessageTracer;
}

export class DirectLinks {
  /** Links this process has opened, by queue name. */
  private readonly links = new Map<string, Mailbox>();

  constructor(
    /** This process's name. */
    readonly self: string,
    private readonly options: DirectLinksOptions,
  ) {}

  /** Sends to process `to`, waiting while the link is full. Options as for Mailbox.send (false: not sent). */
  send(to: string, message: Uint8Array | string, sendOptions?: SendOptions): boolean {
    return this.link(this.self, to).send(message, sendOptions);
  }

  /** The next message from process `from`, waiting until it sends one. */
  receive(from: string): Buffer;
  /** With options as for Mailbox.receive: null if nothing came (non-blocking, or timed out). */
  receive(from: string, receiveOptions: ReceiveOptions): Buffer | null;
  receive(from: string, receiveOptions?: ReceiveOptions): Buffer | null {
    return this.link(from, this.self).receive(receiveOptions);
  }

  /** The queue names of the links this process has used so far. */
  get names(): string[] {
    return [...this.links.keys()];
  }

  /** Closes this process's descriptors; the queues stay for the other processes. */
  close(): void {
    for (const link of this.links.values()) link.close();
  }

  /**
   * Removes the queues of every link this process used (ENOENT ignored: the peer may have removed
   * them first). Closes them too.
   */
  unlinkAll(): void {
    for (const [name, link] of this.links) {
      link.close();
      try {
        Mailbox.unlink(name);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    this.links.clear();
  }

  /** The link from → to: created by whichever side comes first, opened by the other. */
  private link(from: string, to: string): Mailbox {
    if (from === to) throw new Error(`process "${from}" cannot have a link to itself: name another process`);
    const name = this.options.nameFor(from, to);
    let link = this.links.get(name);
    if (!link) {
      link = Mailbox.create(name, {
        capacity: this.options.capacity,
        messageBytes: this.options.messageBytes,
        exclusive: false,
        channel: `link ${from}→${to}`,
        ...(this.options.tracer ? { tracer: this.options.tracer } : {}),
      });
      this.links.set(name, link);
    }
    return link;
  }
}
