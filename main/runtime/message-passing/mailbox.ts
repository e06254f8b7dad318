/**
 * A mailbox: message passing with *indirect naming*, on a POSIX message queue.
 *
 * The textbook idea: processes do not name each other, they name a mailbox (a "port"). Whoever knows
 * the mailbox's name may send to it or receive from it: several senders, several receivers. Each
 * message is taken by exactly one receiver, and the mailbox says nothing about who sent it: if the
 * receiver needs to know, the sender must write it into the message. Which receiver: one that asks
 * while messages wait takes the first at once; if several are blocked waiting, the kernel hands the
 * new message to the waiter of highest scheduling priority, and among equals to the one that has
 * waited longest (ipc/mqueue.c: wq_add keeps waiters in that order, pipelined_send takes the first).
 *
 * Here the mailbox is a kernel object, a POSIX message queue named like "/ipc-lab-...". The kernel keeps
 * message boundaries (one send is one receive, never half of one), orders messages by priority and
 * then by arrival, and bounds the queue twice, both fixed when it is created:
 *   capacity      how many messages it holds (mq_maxmsg; at most /proc/sys/fs/mqueue/msg_max, 10 by
 *                 default, for an ordinary process; with CAP_SYS_RESOURCE at most HARD_MSGMAX, 65536)
 *   messageBytes  the largest message (mq_msgsize; at most msgsize_max, 8192 by default)
 * Beyond those mq_open fails with EINVAL. Each queue also reserves about capacity × messageBytes
 * (plus bookkeeping) against its owner's RLIMIT_MSGQUEUE, 819200 bytes by default (EMFILE beyond),
 * and at most queues_max queues (256) may exist (ENOSPC). See mq_overview(7).
 *
 * Blocking or not (the textbook's synchronous and asynchronous send and receive):
 * - send to a full mailbox: block (wait until a receiver takes one), or, non-blocking, return false.
 * - receive from an empty mailbox: block (wait until a sender sends), or, non-blocking, return null,
 *   "the null message": nothing was there.
 * A timeout turns a blocking call into "wait at most this long" (false / null when it runs out).
 *
 * How a wait is noticed, without a race: this mailbox's descriptor is normally in O_NONBLOCK mode, so
 * every send and receive is first a *try*. Only if the kernel answers EAGAIN (full / empty) and the
 * caller wants to block, the mailbox reports "waiting" to the tracer, switches the descriptor to
 * blocking and asks again; then it switches back. Asking "is it full?" first (mq_getattr) and then
 * sending would race: another process could fill or empty the queue in between.
 *
 * What can go wrong:
 * - Forgetting unlink(): a queue outlives every process that used it, until reboot.
 * - A receiver that never comes: blocked senders wait for ever (use a timeout, or non-blocking sends).
 * - Messages longer than messageBytes are refused (EMSGSIZE): the size is fixed at creation.
 */
import { native } from '../../native/index.js';
import { NO_TRACE, type SyncTracer, type WaitEndOutcome } from '../shared-memory/sync-tracer.js';

/**
 * The shared-memory tracer, plus one optional call: a non-blocking send or receive that found the
 * mailbox full or empty (the kernel said EAGAIN). The lab runtime may implement it to show the EAGAIN.
 */
export interface MessageTracer extends SyncTracer {
  wouldBlock?(channel: string, syscall: 'mq_send' | 'mq_receive', code: 'EAGAIN'): void;
}

export interface MailboxOptions {
  tracer?: MessageTracer;
  /** The name the trace shows (default: the queue name). Waits show as "<channel>: full" / "<channel>: empty". */
  channel?: string;
}

export interface MailboxCreateOptions extends MailboxOptions {
  /** How many messages the mailbox holds (≥ 1). */
  capacity: number;
  /** The largest message in bytes (≥ 1). */
  messageBytes: number;
  /** Fail with EEXIST if the mailbox exists already (default true). False: open it if it does. */
  exclusive?: boolean;
}

export interface SendOptions {
  /** Wait while the mailbox is full (default true). False: return false at once. */
  block?: boolean;
  /** Wait at most this long, then return false (default: no limit). */
  timeoutMs?: number;
  /** 0 to 32767: higher priorities are received first; equal ones in the order sent. */
  priority?: number;
}

export interface ReceiveOptions {
  /** Wait while the mailbox is empty (default true). False: return null at once. */
  block?: boolean;
  /** Wait at most this long, then return null (default: no limit). */
  timeoutMs?: number;
}

function isEagain(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'EAGAIN';
}

export class Mailbox {
  readonly channel: string;
  /** How many messages it holds at most (fixed when it was created). */
  readonly capacity: number;
  /** The largest message in bytes (fixed when it was created). */
  readonly messageBytes: number;
  private readonly tracer: MessageTracer;
  /** Where receive() copies each message first: mq_receive wants room for the largest one. */
  private readonly scratch: Buffer;
  private mqd: number | null;

  private constructor(
    readonly name: string,
    mqd: number,
    options: MailboxOptions,
  ) {
    this.mqd = mqd;
    this.channel = options.channel ?? name;
    this.tracer = options.tracer ?? NO_TRACE;
    const attributes = native().mqGetattr(mqd);
    this.capacity = attributes.maxMessages;
    this.messageBytes = attributes.messageBytes;
    this.scratch = Buffer.alloc(this.messageBytes);
  }

  /** Creates a mailbox (a POSIX message queue). Name: '/name', no other '/'. */
  static create(name: string, options: MailboxCreateOptions): Mailbox {
    const mqd = native().mqOpen(name, {
      create: true,
      exclusive: options.exclusive ?? true,
      nonblock: true,
      maxMessages: options.capacity,
      messageBytes: options.messageBytes,
    });
    return new Mailbox(name, mqd, options);
  }

  /** Opens a mailbox another process created; throws ENOENT if there is none. */
  static open(name: string, options: MailboxOptions = {}): Mailbox {
    return new Mailbox(name, native().mqOpen(name, { create: false, nonblock: true }), options);
  }

  /** Removes a mailbox's name without opening it (cleanup). Throws ENOENT if there is none. */
  static unlink(name: string): void {
    native().mqUnlink(name);
  }

  /** Messages waiting right now (already stale when you read it, if others use the mailbox). */
  get depth(): number {
    return native().mqGetattr(this.descriptor()).currentMessages;
  }

  /**
   * Puts a message in the mailbox. True once it is there; false if the mailbox was full and the call
   * did not block (block: false), or stayed full for timeoutMs.
   */
  send(message: Uint8Array | string, { block = true, timeoutMs = Infinity, priority = 0 }: SendOptions = {}): boolean {
    const data = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
    const mqd = this.descriptor();
    const sent = this.attempt(
      'mq_send',
      `${this.channel}: full`,
      block,
      timeoutMs,
      () => native().mqSend(mqd, data, priority, 0),
      (waitMs) => (native().mqSend(mqd, data, priority, waitMs) === 'ok' ? 'ok' : null),
    );
    this.reportLevel();
    return sent !== null;
  }

  /**
   * Takes the oldest message of the highest priority. Null if the mailbox was empty and the call did
   * not block (block: false), or stayed empty for timeoutMs.
   */
  receive(options: ReceiveOptions = {}): Buffer | null {
    return this.receiveWithPriority(options)?.message ?? null;
  }

  /** receive(), also telling the priority the message was sent with. */
  receiveWithPriority({ block = true, timeoutMs = Infinity }: ReceiveOptions = {}): { message: Buffer; priority: number } | null {
    const mqd = this.descriptor();
    const got = this.attempt(
      'mq_receive',
      `${this.channel}: empty`,
      block,
      timeoutMs,
      () => native().mqReceive(mqd, this.scratch, 0),
      (waitMs) => native().mqReceive(mqd, this.scratch, waitMs),
    );
    this.reportLevel();
    if (got === null) return null;
    // A copy: the scratch buffer is reused by the next receive.
    return { message: Buffer.from(this.scratch.subarray(0, got.bytes)), priority: got.priority };
  }

  /** Closes this process's descriptor; the mailbox and its messages stay (until unlink). */
  close(): void {
    if (this.mqd === null) return;
    native().mqClose(this.mqd);
    this.mqd = null;
  }

  /** Removes the mailbox's name: nobody can open it any more; those who have it open keep using it. */
  unlink(): void {
    native().mqUnlink(this.name);
  }

  /**
   * The try-then-wait pattern of send and receive: the result, or null if nothing was sent or
   * received. `tryNow` runs on the O_NONBLOCK descriptor and throws EAGAIN if it would block; `waitFor`
   * runs with the descriptor switched to blocking, for at most waitMs (-1: no limit), and returns null
   * if that time ran out.
   */
  private attempt<T>(
    syscall: 'mq_send' | 'mq_receive',
    waitChannel: string,
    block: boolean,
    timeoutMs: number,
    tryNow: () => T,
    waitFor: (waitMs: number) => T | null,
  ): T | null {
    try {
      return tryNow();
    } catch (error) {
      if (!isEagain(error)) throw error;
    }
    if (!block || timeoutMs <= 0) {
      this.tracer.wouldBlock?.(this.channel, syscall, 'EAGAIN');
      return null;
    }
    const mqd = this.descriptor();
    this.tracer.waitBegin(waitChannel);
    const start = process.hrtime.bigint();
    let outcome: WaitEndOutcome = 'timed-out';
    native().mqSetNonblock(mqd, false);
    try {
      const value = waitFor(Number.isFinite(timeoutMs) ? timeoutMs : -1);
      if (value !== null) outcome = 'ok';
      return value;
    } finally {
      native().mqSetNonblock(mqd, true);
      this.tracer.waitEnd(waitChannel, process.hrtime.bigint() - start, outcome);
    }
  }

  private reportLevel(): void {
    if (this.tracer === NO_TRACE) return; // spare the mq_getattr when nobody listens
    this.tracer.level(this.channel, this.depth, this.capacity);
  }

  /** The queue descriptor this process holds (for the native measure loops); throws once closed. */
  descriptor(): number {
    if (this.mqd === null) throw new Error(`mailbox ${this.name} is closed in this process. Fix: Mailbox.open('${this.name}') again`);
    return this.mqd;
  }
}
