/**
 * The client stub, produced from an interface definition (interface.ts). To the program it looks like
 * an object with one async method per procedure:
 *
 *     const { stub: bank } = await connectClient(BANK, { port, semantics: 'at-most-once', ... });
 *     const balance = await bank.deposit({ account: 'alice', amount: 100 });
 *
 * Behind that call it does what the programmer would otherwise write by hand each time:
 *
 *   1. picks a request id (xid) for the call, and marshals the header and the arguments (XDR);
 *   2. sends the message, record-marked, on its TCP connection;
 *   3. waits for the reply with that xid, at most `timeoutMs`;
 *   4. on timeout, sends the same message again (same xid: the server can tell a retry);
 *   5. unmarshals the result, or turns an error reply (PROC_UNAVAIL, GARBAGE_ARGS ...) into an exception.
 *
 * Each wait of step 3 is traced as io.begin / io.end (op "wait", channel "<channel>: reply to xid N"),
 * so that a wait of more than a millisecond is drawn as the client's blocked bar: io.end when the reply
 * came (its bytes) or the server ended the connection in order (0 bytes, as read(2) returns at a FIN),
 * io.error ETIMEDOUT when `timeoutMs` ran out, io.error with the socket's errno (ECONNRESET) when the
 * connection was reset.
 *
 * A timeout cannot tell a lost request from a lost reply: in the second case the server has already
 * run the procedure, and the retry asks it to run again. What the stub does about it is the semantics
 * (interface.ts), shared with the server:
 *
 *   at-least-once  retries, on a new connection if the old one broke, up to `maxAttempts` sends in all.
 *   at-most-once   retries only on the connection the request went out on (the server that may have
 *                  run it, whose in-memory duplicate table knows it). If that connection breaks, or the
 *                  last attempt times out, the call ends with RpcError code 'unknown': it ran once or not
 *                  at all, and nobody can say which. A later call connects again.
 *   exactly-once   retries, reconnecting, until it has an answer (`maxAttempts` does not apply): safe
 *                  only because the server's duplicate table survives its crashes.
 *
 * When the connection breaks (the server died: the kernel closed its sockets), `locate` says where to
 * connect next (a restarted server may listen on another port); connecting is retried while the
 * server is down (ECONNREFUSED) for up to `reconnectMs`.
 *
 * Replies that come after their call was answered (to a duplicate) are noted and ignored.
 */
import { RecordReader, frameRecord } from './record-marking.js';
import { callType, decodeReply, encodeCall, formatValue, peekMessage, replyType, wireFields, type Reply } from './message.js';
import { SILENT, type ClientStub, type ProgramDefinition, type Procedure, type Procedures, type RpcTracer, type Semantics } from './interface.js';
import { connect as connectTraced, type TracedConnection } from '../sockets/traced-socket.js';

export interface ClientOptions {
  port: number;
  host?: string;
  semantics: Semantics;
  tracer: RpcTracer;
  /** How long to wait for a reply before sending again. */
  timeoutMs: number;
  /** Sends in all, the first included (default 5); not for exactly-once, which retries until answered. */
  maxAttempts?: number;
  /** Where the server listens now, asked before each reconnection (default: the same port). */
  locate?: () => Promise<number> | number;
  /** How long to keep trying to connect again while the server is down (default 10 s). */
  reconnectMs?: number;
  /** Channel of the trace events; default the program's name in lower case. */
  channel?: string;
  /** Record message.bytes (default true) and the per-call events (default true). Off for cost measurements. */
  traceBytes?: boolean;
  traceCalls?: boolean;
  /** The first xid (default: derived from the pid and the clock, as ONC clients do, so that restarts differ). */
  firstXid?: number;
}

/**
 * A call failed. `code`: the accept_stat of an error reply (PROC_UNAVAIL ...), 'unknown' (no reply: it
 * may or may not have run), 'unreachable' (the server could not be connected to), 'connect'.
 */
export class RpcError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

export interface RpcClient<P extends Procedures> {
  stub: ClientStub<P>;
  /** The client's own address ("127.0.0.1:51234") and the server's, on the current connection. */
  readonly local: string;
  readonly remote: string;
  readonly calls: number;
  close(): Promise<void>;
}

type Outcome = { kind: 'reply'; reply: Reply; bytes: number } | { kind: 'timeout' } | { kind: 'lost'; code: string | undefined };

interface Pending {
  resolve(outcome: Outcome): void;
  result: Procedure['result'];
}

/** One TCP connection to the server and the calls waiting on it. */
interface Link {
  connection: TracedConnection;
  pending: Map<number, Pending>;
  lost: boolean;
  /** The errno the socket failed with (ECONNRESET ...), if it did; none when the server ended it in order. */
  failure?: string;
}

export async function connectClient<P extends Procedures>(program: ProgramDefinition<P>, options: ClientOptions): Promise<RpcClient<P>> {
  const { tracer, timeoutMs, semantics } = options;
  const host = options.host ?? '127.0.0.1';
  const channel = options.channel ?? program.name.toLowerCase();
  const maxAttempts = semantics === 'exactly-once' ? Infinity : (options.maxAttempts ?? 5);
  const traceBytes = options.traceBytes ?? true;
  const traceCalls = options.traceCalls ?? true;
  const reconnectMs = options.reconnectMs ?? 10_000;
  if (maxAttempts !== Infinity && (!Number.isInteger(maxAttempts) || maxAttempts < 1))
    throw new RangeError(`maxAttempts must be a whole number of 1 or more, got ${maxAttempts}`);
  let nextXid = options.firstXid ?? ((process.pid * 1000 + (Date.now() % 1000)) % 0x7fff_0000) + 1;
  let messageId = 0;
  let calls = 0;
  let closing = false;
  let port = options.port;

  /** Opens a connection and wires its replies to the calls waiting on it. */
  async function open(quiet = false): Promise<Link> {
    // Traces socket.connect (the client's ephemeral port) and, when it ends, socket.close with how; the
    // refusals of a reconnection after the first are left out of the trace (`quiet`).
    const base = traceCalls ? tracer : SILENT;
    const socketTracer: RpcTracer = quiet ? { emit: (kind, fields) => void (kind === 'io.error' ? undefined : base.emit(kind, fields)) } : base;
    const connection = await connectTraced(socketTracer, { host, port }, channel);
    const link: Link = { connection, pending: new Map(), lost: false };
    const { socket, remote } = connection;
    const records = new RecordReader();
    socket.on('data', (chunk: Buffer) => {
      let messages: Buffer[];
      try {
        messages = records.push(chunk);
      } catch (e) {
        tracer.emit('rpc.error', { channel, code: 'bad-stream', message: `from the server at ${remote}: ${(e as Error).message}` });
        socket.destroy();
        return;
      }
      for (const message of messages) onReply(link, message);
    });
    socket.on('end', () => {
      if (!closing) tracer.emit('note', { text: `the server at ${remote} closed the connection` });
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      link.failure = e.code;
      if (!closing) tracer.emit('note', { text: `connection to ${remote}: ${e.code ?? e.message}` });
    });
    socket.on('close', () => {
      link.lost = true;
      for (const waiting of link.pending.values()) waiting.resolve({ kind: 'lost', code: link.failure });
      link.pending.clear();
    });
    return link;
  }

  /** Connects again after the connection broke: asks `locate` where the server is, retries while refused. */
  async function reopen(): Promise<Link> {
    const deadline = Date.now() + reconnectMs;
    let refused = 0;
    for (;;) {
      port = options.locate ? await options.locate() : port;
      try {
        const link = await open(refused > 0);
        if (refused > 0 && traceCalls)
          tracer.emit('note', { text: `connected again to ${host}:${port} after ${refused} refused attempt${refused === 1 ? '' : 's'}` });
        return link;
      } catch (e) {
        refused++;
        if (Date.now() > deadline) {
          const message = `${program.name} at ${host}:${port} refused every connection for ${reconnectMs} ms (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Fix: check that the server runs again, or allow longer.`;
          tracer.emit('rpc.error', { channel, code: 'unreachable', message });
          throw new RpcError('unreachable', message);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
  }

  let current: Link = await open().catch((e: NodeJS.ErrnoException) => {
    throw new RpcError(
      'connect',
      `cannot connect to ${program.name} at ${host}:${options.port} (${e.code ?? e.message}). Fix: start the server first, and use the port it listens on.`,
    );
  });

  function onReply(link: Link, message: Buffer): void {
    let xid: number;
    try {
      ({ xid } = peekMessage(message));
    } catch (e) {
      tracer.emit('rpc.error', {
        channel,
        code: 'malformed-reply',
        message: `a message from ${link.connection.remote} that is no RPC reply: ${(e as Error).message}`,
      });
      return;
    }
    const waiting = link.pending.get(xid);
    if (!waiting) {
      if (traceCalls) tracer.emit('note', { text: `a late reply to xid ${xid} (the call was already answered): ignored` });
      return;
    }
    let reply: Reply;
    try {
      reply = decodeReply(message, waiting.result);
    } catch (e) {
      tracer.emit('rpc.error', { channel, xid, code: 'malformed-reply', message: `the reply to xid ${xid} does not decode: ${(e as Error).message}` });
      return;
    }
    if (traceBytes)
      tracer.emit('message.bytes', {
        channel,
        messageId: ++messageId,
        direction: 'receive',
        bytes: message.length + 4,
        ...wireFields(message, replyType(reply.stat, waiting.result)),
      });
    link.pending.delete(xid);
    waiting.resolve({ kind: 'reply', reply, bytes: message.length + 4 });
  }

  /**
   * Sends the request on `link` and waits for its reply, the timeout, or the connection's end. The wait
   * is traced (io.begin, then io.end or io.error) when the calls are: see the header.
   */
  async function attemptOn(link: Link, xid: number, framed: Buffer, result: Procedure['result']): Promise<Outcome> {
    const waitChannel = `${channel}: reply to xid ${xid}`;
    let begin = 0n;
    const outcome = await new Promise<Outcome>((resolve) => {
      const timer = setTimeout(() => {
        link.pending.delete(xid);
        resolve({ kind: 'timeout' });
      }, timeoutMs);
      link.pending.set(xid, {
        result,
        resolve: (outcome) => {
          clearTimeout(timer);
          resolve(outcome);
        },
      });
      // The rpc.call event is out before the write that can wake the server.
      tracer.flush?.();
      link.connection.socket.write(framed);
      if (traceCalls) {
        tracer.emit('io.begin', { op: 'wait', channel: waitChannel });
        begin = process.hrtime.bigint();
      }
    });
    if (!traceCalls) return outcome;
    const waited = process.hrtime.bigint() - begin;
    if (outcome.kind === 'reply') tracer.emit('io.end', { op: 'wait', channel: waitChannel, bytes: outcome.bytes, durationNs: waited.toString() });
    else if (outcome.kind === 'timeout')
      tracer.emit('io.error', { op: 'wait', channel: waitChannel, code: 'ETIMEDOUT', message: `no reply to xid ${xid} within ${timeoutMs} ms` });
    else if (outcome.code)
      tracer.emit('io.error', {
        op: 'wait',
        channel: waitChannel,
        code: outcome.code,
        message: `the connection broke (${outcome.code}) before the reply to xid ${xid} came`,
      });
    else tracer.emit('io.end', { op: 'wait', channel: waitChannel, bytes: 0, durationNs: waited.toString() });
    return outcome;
  }

  function unknown(name: string, xid: number, why: string): RpcError {
    const ran = semantics === 'at-least-once' ? 'it ran zero or more times' : 'it ran once or not at all';
    const message = `${name} (xid ${xid}): ${why}. The outcome is unknown: ${ran}. Fix: ${semantics === 'at-most-once' ? 'only a duplicate table that survives the server (exactly-once) makes retrying across a crash safe' : 'allow more attempts or a longer timeout, or check that the server runs'}.`;
    tracer.emit('rpc.error', { channel, xid, procedure: name, code: 'unknown', message });
    return new RpcError('unknown', message);
  }

  async function call(name: string, procedure: Procedure, args: unknown): Promise<unknown> {
    calls++;
    const xid = nextXid;
    nextXid = (nextXid % 0xffff_fffe) + 1;
    const request = encodeCall({ xid, prog: program.number, vers: program.version, proc: procedure.number }, procedure.args, args);
    const framed = frameRecord(request);
    const shownArgs = traceCalls ? formatValue(args) : '';
    const start = process.hrtime.bigint();
    /** The connection the request went out on (at-most-once retries only there). */
    let sentOn: Link | undefined;
    for (let attempt = 1; ; attempt++) {
      if (attempt > maxAttempts) {
        throw unknown(name, xid, `no reply after ${maxAttempts} attempt${maxAttempts === 1 ? '' : 's'} of ${timeoutMs} ms each`);
      }
      if (current.lost) {
        if (semantics === 'at-most-once' && sentOn === current) {
          throw unknown(
            name,
            xid,
            'the connection to the server broke after the request went out; a server started again has an empty duplicate table, so at-most-once does not send it again',
          );
        }
        current = await reopen();
      }
      sentOn = current;
      if (traceCalls) tracer.emit('rpc.call', { channel, xid, procedure: name, args: shownArgs, attempt });
      if (attempt === 1 && traceBytes) {
        tracer.emit('message.bytes', {
          channel,
          messageId: ++messageId,
          direction: 'send',
          bytes: request.length + 4,
          ...wireFields(request, callType(procedure.args)),
        });
      }
      const outcome = await attemptOn(current, xid, framed, procedure.result);
      if (outcome.kind === 'timeout') {
        if (attempt < maxAttempts && traceCalls) tracer.emit('note', { text: `no reply to xid ${xid} (${name}) within ${timeoutMs} ms: sending it again` });
        continue;
      }
      if (outcome.kind === 'lost') {
        if (semantics === 'at-most-once') {
          throw unknown(
            name,
            xid,
            'the connection to the server broke before a reply came; a server started again has an empty duplicate table, so at-most-once does not send it again',
          );
        }
        if (traceCalls) tracer.emit('note', { text: `the connection broke before the reply to xid ${xid} (${name}): connecting again to send it again` });
        continue;
      }
      const { reply } = outcome;
      const durationNs = (process.hrtime.bigint() - start).toString();
      if (reply.stat !== 'SUCCESS') {
        const message = `${name} (xid ${xid}): the server answered ${reply.stat}`;
        tracer.emit('rpc.error', { channel, xid, procedure: name, code: reply.stat, message });
        throw new RpcError(reply.stat, message);
      }
      if (traceCalls) tracer.emit('rpc.reply', { channel, xid, procedure: name, result: formatValue(reply.result), attempts: attempt, durationNs });
      return reply.result;
    }
  }

  const stub = Object.fromEntries(
    Object.entries(program.procedures).map(([name, procedure]) => [name, (args: unknown) => call(name, procedure, args)]),
  ) as ClientStub<P>;

  return {
    stub,
    get local() {
      return current.connection.local;
    },
    get remote() {
      return current.connection.remote;
    },
    get calls() {
      return calls;
    },
    async close() {
      closing = true;
      if (current.lost) return;
      current.connection.end();
      await current.connection.closed;
    },
  };
}
