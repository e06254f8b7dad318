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
 *   4. on timeout, sends the same message again (same xid: the server can tell a retry), up to
 *      `maxAttempts` times in all, then gives up with an error;
 *   5. unmarshals the result, or turns an error reply (PROC_UNAVAIL, GARBAGE_ARGS ...) into an exception;
 *   6. with exactly-once, acknowledges the reply (ACK) so the server may forget it.
 *
 * A timeout cannot tell a lost request from a lost reply: in the second case the server has already
 * run the procedure, and the retry asks it to run again. Whether that is harmless depends on the
 * server's semantics (server.ts). Replies that come after the call was answered (to a duplicate) are
 * noted and ignored.
 *
 * The link has a fault injector (`faults`), so that failures happen on purpose and the same way each
 * run: on chosen calls (every k-th, or the first n) it drops the request, drops the reply, sends the
 * request twice, or holds it back for a while. It acts on a call's first attempt only, so the retry
 * gets through.
 */
import type { RpcFault } from '../../contract/trace-events.js';
import { RecordReader, frameRecord } from './record-marking.js';
import { ACK_TYPE, callType, decodeReply, encodeAck, encodeCall, formatValue, peekMessage, replyType, wireFields, type Reply } from './message.js';
import { SILENT, type ClientStub, type ProgramDefinition, type Procedure, type Procedures, type RpcTracer, type Semantics } from './interface.js';
import { connect as connectTraced } from '../sockets/traced-socket.js';

/** Which calls a fault hits: numbered from 1 in the order the program makes them. */
export type FaultPlan = { fault: RpcFault; delayMs?: number } & ({ every: number } | { first: number });

export interface ClientOptions {
  port: number;
  host?: string;
  semantics: Semantics;
  tracer: RpcTracer;
  /** How long to wait for a reply before sending again. */
  timeoutMs: number;
  /** Sends in all, the first included (default 5). */
  maxAttempts?: number;
  faults?: FaultPlan;
  /** Channel of the trace events; default the program's name in lower case. */
  channel?: string;
  /** Record message.bytes (default true) and the per-call events (default true). Off for cost measurements. */
  traceBytes?: boolean;
  traceCalls?: boolean;
  /** The first xid (default: derived from the pid and the clock, as ONC clients do, so that restarts differ). */
  firstXid?: number;
}

/** A call failed: an error reply, or no reply after every attempt. `code` is the accept_stat or 'timeout'. */
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
  /** The client's own address ("127.0.0.1:51234"), the server's, and the number of calls made. */
  local: string;
  remote: string;
  readonly calls: number;
  /** Waits until every request the fault injector held back has been sent. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

interface Pending {
  resolve(reply: Reply): void;
  result: Procedure['result'];
}

export async function connectClient<P extends Procedures>(program: ProgramDefinition<P>, options: ClientOptions): Promise<RpcClient<P>> {
  const { tracer, timeoutMs } = options;
  const host = options.host ?? '127.0.0.1';
  const channel = options.channel ?? program.name.toLowerCase();
  const maxAttempts = options.maxAttempts ?? 5;
  const traceBytes = options.traceBytes ?? true;
  const traceCalls = options.traceCalls ?? true;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be a whole number of 1 or more, got ${maxAttempts}`);
  let nextXid = options.firstXid ?? ((process.pid * 1000 + (Date.now() % 1000)) % 0x7fff_0000) + 1;
  let messageId = 0;
  let calls = 0;
  const pending = new Map<number, Pending>();
  /** Requests held back by a 'delay' fault, not sent yet. */
  const delayed = new Set<Promise<void>>();
  /** xids whose next reply the fault injector drops. */
  const dropNextReply = new Set<number>();

  // Traces socket.connect (the client's ephemeral port) and, when it ends, socket.close with how.
  const connection = await connectTraced(traceCalls ? tracer : SILENT, { host, port: options.port }, channel).catch((e: NodeJS.ErrnoException) => {
    throw new RpcError('connect', `cannot connect to ${program.name} at ${host}:${options.port} (${e.code ?? e.message}). Fix: start the server first, and use the port it listens on.`);
  });
  const { socket, local, remote } = connection;

  const records = new RecordReader();
  let closing = false;
  socket.on('data', (chunk: Buffer) => {
    let messages: Buffer[];
    try {
      messages = records.push(chunk);
    } catch (e) {
      tracer.emit('rpc.error', { channel, code: 'bad-stream', message: `from the server at ${remote}: ${(e as Error).message}` });
      socket.destroy();
      return;
    }
    for (const message of messages) onReply(message);
  });
  socket.on('end', () => {
    if (!closing) tracer.emit('note', { text: `the server at ${remote} closed the connection` });
  });
  socket.on('error', (e: NodeJS.ErrnoException) => {
    tracer.emit('rpc.error', { channel, code: e.code ?? 'socket-error', message: `connection to ${remote}: ${e.message}` });
  });

  function onReply(message: Buffer): void {
    let xid: number;
    try {
      ({ xid } = peekMessage(message));
    } catch (e) {
      tracer.emit('rpc.error', { channel, code: 'malformed-reply', message: `a message from ${remote} that is no RPC reply: ${(e as Error).message}` });
      return;
    }
    const waiting = pending.get(xid);
    if (dropNextReply.delete(xid)) {
      tracer.emit('rpc.fault', { channel, xid, fault: 'drop-reply', detail: 'the reply arrived and the link dropped it: the server has run the call, the client does not know' });
      return;
    }
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
    if (traceBytes) tracer.emit('message.bytes', { channel, messageId: ++messageId, direction: 'receive', bytes: message.length + 4, ...wireFields(message, replyType(reply.stat, waiting.result)) });
    pending.delete(xid);
    waiting.resolve(reply);
  }

  function faultFor(call: number, attempt: number): RpcFault | undefined {
    const plan = options.faults;
    if (!plan || attempt !== 1) return undefined;
    const hit = 'every' in plan ? call % plan.every === 0 : call <= plan.first;
    return hit ? plan.fault : undefined;
  }

  /** Sends a request through the fault injector. */
  function transmit(xid: number, call: number, attempt: number, bytes: Buffer): void {
    const framed = frameRecord(bytes);
    const fault = faultFor(call, attempt);
    if (fault === 'drop-request') {
      tracer.emit('rpc.fault', { channel, xid, fault, detail: `call ${call}, attempt ${attempt}: the link lost the request; the server never sees it` });
      return;
    }
    if (fault === 'delay') {
      const ms = options.faults?.delayMs ?? 0;
      tracer.emit('rpc.fault', { channel, xid, fault, detail: `call ${call}, attempt ${attempt}: the link holds the request back ${ms} ms (the timeout is ${timeoutMs} ms)` });
      const later = new Promise<void>((resolve) =>
        setTimeout(() => {
          if (!socket.destroyed) socket.write(framed);
          if (traceCalls) tracer.emit('note', { text: `the request held back for xid ${xid} leaves now, ${ms} ms late` });
          delayed.delete(later);
          resolve();
        }, ms),
      );
      delayed.add(later);
      return;
    }
    if (fault === 'drop-reply') dropNextReply.add(xid);
    socket.write(framed);
    if (fault === 'duplicate-request') {
      tracer.emit('rpc.fault', { channel, xid, fault, detail: `call ${call}, attempt ${attempt}: the link delivers the request twice` });
      socket.write(framed);
    }
  }

  async function call(name: string, procedure: Procedure, args: unknown): Promise<unknown> {
    const callNumber = ++calls;
    const xid = nextXid;
    nextXid = (nextXid % 0xffff_fffe) + 1;
    const request = encodeCall({ xid, prog: program.number, vers: program.version, proc: procedure.number }, procedure.args, args);
    const shownArgs = traceCalls ? formatValue(args) : '';
    const start = process.hrtime.bigint();
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (traceCalls) tracer.emit('rpc.call', { channel, xid, procedure: name, args: shownArgs, attempt });
      if (attempt === 1 && traceBytes) {
        tracer.emit('message.bytes', { channel, messageId: ++messageId, direction: 'send', bytes: request.length + 4, ...wireFields(request, callType(procedure.args)) });
      }
      const answered = new Promise<Reply>((resolve) => pending.set(xid, { resolve, result: procedure.result }));
      transmit(xid, callNumber, attempt, request);
      let timer: NodeJS.Timeout | undefined;
      const reply = await Promise.race([answered, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)))]);
      clearTimeout(timer);
      if (reply === undefined) {
        if (attempt < maxAttempts && traceCalls) tracer.emit('note', { text: `no reply to xid ${xid} (${name}) within ${timeoutMs} ms: sending it again` });
        continue;
      }
      const durationNs = (process.hrtime.bigint() - start).toString();
      if (reply.stat !== 'SUCCESS') {
        const message = `${name} (xid ${xid}): the server answered ${reply.stat}`;
        tracer.emit('rpc.error', { channel, xid, procedure: name, code: reply.stat, message });
        throw new RpcError(reply.stat, message);
      }
      if (traceCalls) tracer.emit('rpc.reply', { channel, xid, procedure: name, result: formatValue(reply.result), attempts: attempt, durationNs });
      if (options.semantics === 'exactly-once') {
        const ack = encodeAck(xid);
        if (traceBytes) tracer.emit('message.bytes', { channel, messageId: ++messageId, direction: 'send', bytes: ack.length + 4, ...wireFields(ack, ACK_TYPE) });
        socket.write(frameRecord(ack));
      }
      return reply.result;
    }
    pending.delete(xid);
    const message =
      `${name} (xid ${xid}): no reply after ${maxAttempts} attempt${maxAttempts === 1 ? '' : 's'} of ${timeoutMs} ms each. ` +
      'The procedure may have run (if replies were lost) or not (if requests were). Fix: allow more attempts, a longer timeout, or check that the server runs.';
    tracer.emit('rpc.error', { channel, xid, procedure: name, code: 'timeout', message });
    throw new RpcError('timeout', message);
  }

  const stub = Object.fromEntries(
    Object.entries(program.procedures).map(([name, procedure]) => [name, (args: unknown) => call(name, procedure, args)]),
  ) as ClientStub<P>;

  return {
    stub,
    local,
    remote,
    get calls() {
      return calls;
    },
    async drain() {
      while (delayed.size > 0) await Promise.all([...delayed]);
    },
    async close() {
      closing = true;
      while (delayed.size > 0) await Promise.all([...delayed]);
      connection.end();
      await connection.closed;
    },
  };
}
