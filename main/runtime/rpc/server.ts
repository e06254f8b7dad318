/**
 * The server stub, produced from an interface definition (interface.ts): it listens on TCP, reads
 * record-marked messages, and for each call
 *
 *   1. reads the header (xid, prog, vers, proc) and finds the procedure, or answers PROG_UNAVAIL,
 *      PROG_MISMATCH, PROC_UNAVAIL;
 *   2. unmarshals the arguments with that procedure's XDR type, or answers GARBAGE_ARGS;
 *   3. calls the implementation (the server programmer's plain function);
 *   4. marshals the result into a reply and sends it back on the same connection.
 *
 * What it does when the same request arrives twice depends on the *semantics* (interface.ts):
 *
 *   at-least-once  no duplicate table: every copy runs. Harmless for balance (idempotent), wrong for
 *                  deposit: the money is counted twice.
 *   at-most-once   a duplicate table in memory keeps the reply of each request; a copy that comes again
 *                  gets that reply ("replayed") and nothing runs. The table dies with the process.
 *   exactly-once   the same table, made durable: it is the server's log (durable-log.ts), appended and
 *                  fsync'ed before each reply, and read back when the server starts again.
 *
 * A request is recognised by its xid and a digest of its bytes, not by the connection it came on: a
 * client that reconnects after a crash of the server comes from a new port.
 *
 * With a `log`, every execution (under every semantics) is appended to the log and fsync'ed before
 * the reply is sent, and a starting server runs the logged executions again to rebuild its state: the
 * accounts survive a crash whatever the semantics. What differs is whether the duplicate table does.
 * This lab's programs use one log per server and one server at a time; a real server would also bound
 * the table (NFSv4.1's sessions, RFC 8881 §2.10.6, keep one cached reply per slot and free it when the
 * client reuses the slot).
 *
 * A server must survive its clients: a message that is truncated, malformed, for an unknown program
 * or procedure, or plain garbage gets an error reply (or, if the stream cannot be read any more, that
 * connection is closed) and an rpc.error event naming what was wrong and the fix. Other clients are
 * served as before.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { RecordError, RecordReader, frameRecord } from './record-marking.js';
import { DurableLog, readLog, type LogContents } from './durable-log.js';
import {
  RPC_VERSION,
  callType,
  decodeArgs,
  decodeCallHeader,
  decodeReply,
  encodeReply,
  formatValue,
  peekMessage,
  replyType,
  wireFields,
  type Reply,
} from './message.js';
import { XdrError, type XdrType } from './xdr.js';
import { SILENT, procedureByNumber, type Implementation, type ProgramDefinition, type Procedures, type RpcTracer, type Semantics } from './interface.js';
import { traceAccepted } from '../sockets/traced-socket.js';

export interface ServerOptions {
  /** 0 (the default): the kernel picks a free port, a different one each run. */
  port?: number;
  host?: string;
  semantics: Semantics;
  tracer: RpcTracer;
  /** The channel of the trace events; default the program's name in lower case. */
  channel?: string;
  /** Record message.bytes for every message (default true). Off for cost measurements. */
  traceBytes?: boolean;
  /** Record rpc.execute and the other per-call events (default true). */
  traceCalls?: boolean;
  /**
   * The durable log's file. The server reads it when it starts (runs every logged execution again, and
   * with exactly-once refills the duplicate table), appends each execution and fsyncs it before the reply.
   */
  log?: string;
  /**
   * Called after an execution is in the log and before its reply is sent: where a lab kills the
   * server to show what a crash between the two does. `count` numbers this process's executions from 1.
   */
  beforeReply?: (execution: { xid: number; procedure: string; count: number }) => void;
  /**
   * What a server without error handling does: the first malformed input throws out of the handler and
   * the process dies of the uncaught exception (off by default: answer or close that connection only).
   */
  fragile?: boolean;
}

export interface RpcServer {
  port: number;
  address: string;
  /** Calls executed (a replayed duplicate does not count; an executed-again one does). */
  readonly executed: number;
  /** Stops listening, closes every connection; with a log, reads it back and traces it (rpc.ledger). */
  close(): Promise<void>;
}

type TableEntry = { state: 'in-progress' } | { state: 'done'; reply: Buffer };

/** The duplicate table's key: the xid, and a digest of the rest of the request (a retry is byte for byte the same). */
function requestKey(xid: number, message: Buffer): string {
  return `${xid}:${createHash('sha1').update(message).digest('hex').slice(0, 16)}`;
}

/** Starts serving `program` with `implementation`; resolves once the socket listens. */
export async function startServer<P extends Procedures>(
  program: ProgramDefinition<P>,
  implementation: Implementation<P>,
  options: ServerOptions,
): Promise<RpcServer> {
  const tracer = options.tracer;
  const channel = options.channel ?? program.name.toLowerCase();
  const traceBytes = options.traceBytes ?? true;
  const traceCalls = options.traceCalls ?? true;
  const host = options.host ?? '127.0.0.1';
  /** The duplicate table (at-most-once, exactly-once), keyed by xid and request digest. */
  const table = new Map<string, TableEntry>();
  /**
   * Only for the trace of at-least-once: such a server keeps no table and cannot tell a copy from a new
   * call; the lab notes in the trace that it ran one again. Nothing the server does depends on it.
   */
  const seenByLab = new Set<string>();
  const connections = new Set<Socket>();
  let executed = 0;
  let messageId = 0;

  const tableLevel = () => {
    if (options.semantics === 'at-least-once' || !traceCalls) return;
    tracer.emit('buffer.level', { channel: `${channel} duplicate table`, used: table.size, capacity: null });
  };

  const error = (code: string, message: string, xid?: number, procedure?: string) => {
    const fields: { channel: string; code: string; message: string; xid?: number; procedure?: string } = { channel, code, message };
    if (xid !== undefined) fields.xid = xid;
    if (procedure !== undefined) fields.procedure = procedure;
    tracer.emit('rpc.error', fields);
    if (options.fragile) {
      tracer.flush?.();
      // Out of the event handler, as an unchecked decoding error would go: the process dies of it.
      process.nextTick(() => {
        throw new Error(`${program.name} server (fragile): ${code}: ${message}`);
      });
    }
  };

  /** The log as the file holds it, traced as rpc.ledger: each entry with its arguments and result decoded. */
  const traceLedger = (contents: LogContents, reason: 'recovery' | 'shutdown') => {
    const entries = contents.records.map((r) => {
      const found = procedureByNumber(program, r.proc);
      let args = r.args;
      let result = '?';
      if (found) {
        try {
          args = formatValue(decodeArgs(Buffer.from(r.args, 'hex'), 0, found.procedure.args));
          const decoded = decodeReply(Buffer.from(r.reply, 'hex'), found.procedure.result);
          result = decoded.stat === 'SUCCESS' ? formatValue(decoded.result) : decoded.stat;
        } catch {
          // Shown as the hex the file holds.
        }
      }
      return { xid: r.xid, procedure: r.name, args, result };
    });
    tracer.emit('rpc.ledger', { channel, path: options.log!, bytes: contents.bytes, reason, entries, ...(contents.torn > 0 ? { torn: contents.torn } : {}) });
  };

  let log: DurableLog | undefined;
  if (options.log) {
    const contents = readLog(options.log);
    // Recovery: run every logged execution again on the fresh state, in the log's order (a redo log).
    for (const r of contents.records) {
      const found = procedureByNumber(program, r.proc);
      if (!found)
        throw new Error(
          `${program.name} server: the log ${options.log} holds procedure ${r.proc}, which the interface does not have. Fix: start with an empty log, or the interface that wrote it.`,
        );
      const args = decodeArgs(Buffer.from(r.args, 'hex'), 0, found.procedure.args);
      await (implementation[found.name] as (a: unknown) => unknown)(args);
      if (options.semantics === 'exactly-once') table.set(r.key, { state: 'done', reply: Buffer.from(r.reply, 'hex') });
    }
    if (contents.records.length > 0 || contents.torn > 0) traceLedger(contents, 'recovery');
    if (options.semantics === 'exactly-once' && contents.records.length > 0) tableLevel();
    log = new DurableLog(options.log);
  }

  const send = (socket: Socket, bytes: Buffer, type: XdrType | undefined) => {
    if (traceBytes) tracer.emit('message.bytes', { channel, messageId: ++messageId, direction: 'send', bytes: bytes.length + 4, ...wireFields(bytes, type) });
    if (!socket.destroyed) socket.write(frameRecord(bytes));
  };

  const reply = (socket: Socket, r: Reply, result: XdrType): Buffer => {
    const bytes = encodeReply(r, result);
    send(socket, bytes, replyType(r.stat, result));
    return bytes;
  };

  /** Handles one whole message from `client` ("127.0.0.1:51234"). */
  const handle = async (socket: Socket, client: string, message: Buffer): Promise<void> => {
    let peek: ReturnType<typeof peekMessage>;
    try {
      peek = peekMessage(message);
    } catch (e) {
      if (traceBytes)
        tracer.emit('message.bytes', { channel, messageId: ++messageId, direction: 'receive', bytes: message.length + 4, ...wireFields(message, undefined) });
      error(
        'malformed-message',
        `A message of ${message.length} bytes from ${client} does not start with an xid and a message type (${(e as Error).message}). ` +
          'Without an xid there is no one to answer: the message is dropped, and the connection closed since its sender does not speak RPC. ' +
          'Fix: the client must send xid, msgType (0 for CALL), rpcvers 2, prog, vers, proc, cred, verf, then the arguments.',
      );
      socket.destroy();
      return;
    }
    const { xid } = peek;
    if (peek.msgType !== 'CALL') {
      error(
        'unexpected-reply',
        `${client} sent a REPLY (xid ${xid}) to a server; servers only take CALLs. The message is ignored. Fix: send replies only to the client that called.`,
        xid,
      );
      return;
    }
    let decoded: ReturnType<typeof decodeCallHeader>;
    try {
      decoded = decodeCallHeader(message);
    } catch (e) {
      if (traceBytes)
        tracer.emit('message.bytes', { channel, messageId: ++messageId, direction: 'receive', bytes: message.length + 4, ...wireFields(message, undefined) });
      error(
        'malformed-header',
        `The call header of xid ${xid} from ${client} is malformed or truncated (${(e as Error).message}). Without prog, vers and proc the server cannot ` +
          'tell which procedure is meant: the call is dropped and the connection closed. Fix: send the whole header (40 bytes with AUTH_NONE) before the arguments.',
        xid,
      );
      socket.destroy();
      return;
    }
    const { header, rpcvers, argsOffset } = decoded;
    const found = header.prog === program.number && header.vers === program.version ? procedureByNumber(program, header.proc) : undefined;
    if (traceBytes) {
      tracer.emit('message.bytes', {
        channel,
        messageId: ++messageId,
        direction: 'receive',
        bytes: message.length + 4,
        ...wireFields(message, found ? callType(found.procedure.args) : undefined),
      });
    }
    const VOID: XdrType = { kind: 'void' };
    if (rpcvers !== RPC_VERSION) {
      error(
        'RPC_MISMATCH',
        `xid ${xid} from ${client} speaks RPC version ${rpcvers}; this server speaks ${RPC_VERSION}. Answered MSG_DENIED / RPC_MISMATCH. Fix: set rpcvers to 2.`,
        xid,
      );
      reply(socket, { xid, stat: 'RPC_MISMATCH', low: RPC_VERSION, high: RPC_VERSION }, VOID);
      return;
    }
    if (header.prog !== program.number) {
      error(
        'PROG_UNAVAIL',
        `xid ${xid} from ${client} asks for program ${header.prog} (0x${header.prog.toString(16)}); this server serves only ${program.name} (${program.number}, 0x${program.number.toString(16)}). Answered PROG_UNAVAIL. Fix: look the program's server up with the matchmaker, or check the program number in the interface.`,
        xid,
      );
      reply(socket, { xid, stat: 'PROG_UNAVAIL' }, VOID);
      return;
    }
    if (header.vers !== program.version) {
      error(
        'PROG_MISMATCH',
        `xid ${xid} from ${client} asks for ${program.name} version ${header.vers}; this server has version ${program.version} only. Answered PROG_MISMATCH. Fix: build the client from the same interface version.`,
        xid,
      );
      reply(socket, { xid, stat: 'PROG_MISMATCH', low: program.version, high: program.version }, VOID);
      return;
    }
    if (!found) {
      const known = Object.entries(program.procedures)
        .map(([n, p]) => `${n} (${p.number})`)
        .join(', ');
      error(
        'PROC_UNAVAIL',
        `xid ${xid} from ${client} asks for procedure ${header.proc} of ${program.name}, which has ${known}. Answered PROC_UNAVAIL. Fix: use a procedure number from the interface.`,
        xid,
      );
      reply(socket, { xid, stat: 'PROC_UNAVAIL' }, VOID);
      return;
    }
    const { name, procedure } = found;
    let args: unknown;
    try {
      args = decodeArgs(message, argsOffset, procedure.args);
    } catch (e) {
      if (!(e instanceof XdrError)) throw e;
      error(
        'GARBAGE_ARGS',
        `The arguments of ${name} (xid ${xid}) from ${client} do not decode: ${e.message}. Answered GARBAGE_ARGS; nothing was run. Fix: marshal the arguments with the interface's types.`,
        xid,
        name,
      );
      reply(socket, { xid, stat: 'GARBAGE_ARGS' }, procedure.result);
      return;
    }

    const key = requestKey(xid, message);
    if (options.semantics === 'at-least-once') {
      if (seenByLab.has(key) && traceCalls) {
        tracer.emit('rpc.duplicate', {
          channel,
          xid,
          procedure: name,
          action: 'executed-again',
          detail: `this server keeps no duplicate table, so it runs the copy (the lab noticed; the server cannot). ${procedure.idempotent ? `${name} is idempotent: no harm done` : `${name} is not idempotent: the result changes`}`,
        });
      }
      seenByLab.add(key);
    } else {
      const entry = table.get(key);
      if (entry) {
        const action = entry.state === 'done' ? 'replayed' : 'dropped';
        if (traceCalls) {
          tracer.emit('rpc.duplicate', {
            channel,
            xid,
            procedure: name,
            action,
            detail:
              entry.state === 'done'
                ? `the duplicate table${options.semantics === 'exactly-once' ? ' (durable, in the log)' : ''} holds the reply: sent again, the procedure did not run`
                : 'the procedure is still running for the first copy: this one is ignored',
          });
        }
        if (entry.state === 'done') {
          tracer.flush?.();
          send(socket, entry.reply, replyType('SUCCESS', procedure.result));
        }
        return;
      }
      table.set(key, { state: 'in-progress' });
    }

    let result: unknown;
    try {
      result = await (implementation[name] as (a: unknown) => unknown)(args);
    } catch (e) {
      error('SYSTEM_ERR', `${name} (xid ${xid}) failed on the server: ${(e as Error).message}. Answered SYSTEM_ERR.`, xid, name);
      table.delete(key);
      reply(socket, { xid, stat: 'SYSTEM_ERR' }, procedure.result);
      return;
    }
    let bytes: Buffer;
    try {
      bytes = encodeReply({ xid, stat: 'SUCCESS', result: result as never }, procedure.result);
    } catch (e) {
      error(
        'SYSTEM_ERR',
        `${name} (xid ${xid}) returned ${formatValue(result)}, which does not fit its result type: ${(e as Error).message}. Answered SYSTEM_ERR. Fix: the implementation must return what the interface says.`,
        xid,
        name,
      );
      table.delete(key);
      reply(socket, { xid, stat: 'SYSTEM_ERR' }, procedure.result);
      return;
    }
    // The execution counts once it is in the log, on the disk: only then may the reply go.
    log?.append({ xid, key, proc: procedure.number, name, args: message.subarray(argsOffset).toString('hex'), reply: bytes.toString('hex') });
    executed++;
    if (traceCalls) tracer.emit('rpc.execute', { channel, xid, procedure: name, args: formatValue(args), result: formatValue(result) });
    if (options.semantics !== 'at-least-once') {
      table.set(key, { state: 'done', reply: bytes });
      tableLevel();
    }
    if (options.beforeReply) {
      tracer.flush?.();
      options.beforeReply({ xid, procedure: name, count: executed });
    }
    tracer.flush?.();
    send(socket, bytes, replyType('SUCCESS', procedure.result));
  };

  // allowHalfOpen: a client that shuts down its sending side after its last call still gets the replies
  // to every call before it; the server ends its side once they are written.
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    connections.add(socket);
    // Traces socket.accept and, when it ends, socket.close with how (FIN, reset, or closed here).
    const client = traceAccepted(traceCalls ? tracer : SILENT, socket, channel, 'tcp').remote;
    const records = new RecordReader();
    // Messages of one connection are handled one after another, in the order they came.
    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      let messages: Buffer[];
      try {
        messages = records.push(chunk);
      } catch (e) {
        const code = e instanceof RecordError ? e.code : 'bad-stream';
        error(code, `Connection from ${client}: ${(e as Error).message} The connection is closed; the server goes on serving its other clients.`);
        socket.destroy();
        return;
      }
      for (const message of messages) {
        queue = queue
          .then(() => handle(socket, client, message))
          .catch((e: unknown) => error('server-bug', `while handling a message from ${client}: ${(e as Error).stack ?? String(e)}`));
      }
    });
    socket.on('end', () => {
      try {
        records.end();
      } catch (e) {
        error(
          'truncated',
          `Connection from ${client}: ${(e as Error).message} Nothing to answer: the message was never complete. Fix: the client must send whole records before it closes.`,
        );
      }
      void queue.then(() => socket.end());
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (traceCalls) tracer.emit('note', { text: `connection from ${client}: ${e.code ?? e.message}` });
    });
    socket.on('close', () => connections.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(
        new Error(
          e.code === 'EADDRINUSE'
            ? `${program.name} server: port ${options.port} on ${host} is in use (EADDRINUSE). Fix: choose another port, or 0 to let the kernel pick one.`
            : `${program.name} server: cannot listen on ${host}:${options.port ?? 0}: ${e.message}`,
        ),
      );
    });
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  if (traceCalls) {
    tracer.emit('socket.listen', {
      channel,
      transport: 'tcp',
      address: `${host}:${port}`,
      detail: `${program.name} (program ${program.number}, version ${program.version}), semantics ${options.semantics}`,
    });
  }

  return {
    port,
    address: `${host}:${port}`,
    get executed() {
      return executed;
    },
    close() {
      for (const socket of connections) socket.destroy();
      return new Promise<void>((resolve) =>
        server.close(() => {
          if (log && options.log) {
            log.close();
            traceLedger(readLog(options.log), 'shutdown');
          }
          resolve();
        }),
      );
    },
  };
}
