/**
 * The trace event schema, version 1: what lab programs and the host record about a run.
 *
 * One event is one JSON object on one line of a lab process's trace channel (a Unix socket that the
 * host listens on in the run's private directory, never the mechanism under study). The host checks
 * each line against this spec, stamps it with the run and a sequence number, stores it in SQLite and
 * pushes it to the UI. A line that does not match is not dropped silently: the host records a
 * `trace.rejected` event that names the process, the line and the fix.
 *
 * Time: `ts` is the monotonic clock (process.hrtime.bigint(), CLOCK_MONOTONIC, shared by every process on
 * the machine) in nanoseconds, written as a decimal string because JSON has no 64-bit integers. Use
 * `parseNanos` to read it; anything that turns it into a float says so in its name.
 *
 * Compatibility: adding a kind or an optional field keeps the version; changing or removing a field
 * bumps TRACE_SCHEMA_VERSION, and the host refuses lines of another version with a clear message.
 */

export const TRACE_SCHEMA_VERSION = 1;

/**
 * The most events one run stores. Beyond it the host counts events without storing them (its own
 * HOST_EVENTS_PAST_BUDGET excepted, so the run still ends cleanly), records a host.warning where it
 * happened, and ends the run as `error` without running its checks, which need every event. Generous:
 * every allowed parameter combination of the labs stays under half of it (labs/README.md, "Event
 * budget"); the check worker's limits are sized to a run of this many events.
 */
export const RUN_EVENT_BUDGET = 500_000;

/**
 * The host's own kinds that are stored even past the budget: a handful per process or per run (start,
 * exit, warnings, cleanup, the first rejections of each channel), never a flood. Output lines and kernel
 * snapshots count against the budget like lab events.
 */
export const HOST_EVENTS_PAST_BUDGET: ReadonlySet<string> = new Set(['host.spawn', 'host.exit', 'host.warning', 'host.cleanup', 'trace.rejected']);

/** Nanoseconds on the monotonic clock. */
export type Nanos = bigint;

export function parseNanos(text: string): Nanos {
  return BigInt(text);
}

/** Lossy on purpose: for display and layout only. */
export function nanosToMillisLossy(ns: Nanos): number {
  return Number(ns) / 1e6;
}

/** Which kernel object a channel is. `name` is what /proc/<pid>/fd shows, e.g. "pipe:[123456]". */
export interface KernelObjectRef {
  type: 'pipe' | 'fifo' | 'socket' | 'shm' | 'mqueue' | 'file';
  name: string;
  inode?: number;
}

/** Fields every event carries. */
export interface TraceEventBase {
  /** Schema version, TRACE_SCHEMA_VERSION. */
  v: number;
  /** Monotonic time in ns, as a decimal string. */
  ts: string;
  /** The process the event is about (the host's own events use the lab process's pid, or 0). */
  pid: number;
  /** The process's role in the scenario ("parent", "child", ...), or "host". */
  role: string;
}

/**
 * The events, by kind. Lab programs emit them through main/runtime; kinds starting with `host.`,
 * `kernel.` or `trace.` are the host's own and are refused from lab processes.
 */
export interface TraceEventFields {
  /**
   * A lab process connected its trace channel: it is running. `traceFd` is the descriptor of that
   * channel in the process, so that the kernel view can say which socket is IPC Lab's, not the lab's.
   */
  'process.start': { ppid: number; program: string; traceFd?: number };
  /** A lab process is about to exit normally (a killed process never says this; see host.exit). */
  'process.exit': { code: number };
  /** A lab process waited for a child it started itself (the textbook waitpid). */
  'child.exit': { childPid: number; childRole: string; code: number | null; signal: string | null };
  /** A kernel object was created, or an end of one handed to this process. */
  'object.create': { channel: string; object: KernelObjectRef; detail?: string };
  /** An existing kernel object was opened by name (a shared-memory segment attached, a FIFO opened). */
  'object.open': { channel: string; object: KernelObjectRef; detail?: string };
  /**
   * How full a bounded buffer is, after a put or a get: `used` items of `capacity` (null: unbounded).
   * The UI draws it as the buffer's occupancy over time.
   */
  'buffer.level': { channel: string; used: number; capacity: number | null };
  /** A call that may block is starting. The matching io.end (same op and channel) says how long it took. */
  'io.begin': { op: IoOp; channel: string; bytes?: number };
  /** The call returned. `durationNs` is how long the process was inside it (blocked, if long). */
  'io.end': { op: IoOp; channel: string; bytes: number; durationNs: string };
  /** read() returned 0: every write end is closed and the buffer is empty. Follows that read's io.end. */
  'io.eof': { channel: string };
  /** A call failed with an errno (EPIPE, EAGAIN, ...). It closes the io.begin before it: no io.end follows. */
  'io.error': { op: IoOp; channel: string; code: string; message: string };
  /**
   * An end of a channel is being closed: stamped and sent *before* close(2), since the close can wake
   * another process (a reader gets end of file), whose event must not be stamped earlier.
   */
  'io.close': { channel: string; end: 'read' | 'write' | 'both' };
  /**
   * The process asks the engine to sample /proc for every live process of the run now (lab.snapshot()),
   * and waits until it has: the kernel view's evidence then does not depend on when sampling happens.
   */
  'snapshot.request': { reason: string };
  /**
   * A whole application-level message went out. `messageId` (numbered by the sender per channel, from 1)
   * pairs it with its message.receive.
   */
  'message.send': { channel: string; messageId: number; bytes: number; text?: string };
  /** A whole message arrived. */
  'message.receive': { channel: string; messageId: number; bytes: number; text?: string };
  /**
   * A message's bytes, each run of them labelled with what it is (an XDR field, a length, padding):
   * the glass-box view of marshalling. `hex` is every byte ("00 00 00 64 ..."), `fields` cover them in
   * order (see XdrField in main/runtime/rpc/xdr.ts). Pairs with message.send/receive by messageId.
   */
  'message.bytes': { channel: string; messageId: number; direction: 'send' | 'receive'; bytes: number; hex: string; fields: MessageField[]; encoding?: string };

  // Sockets. An address is what a student reads: "127.0.0.1:5000", "[::1]:5000", or a Unix socket's path.
  /** A server socket is bound and listening (bind + listen succeeded). */
  'socket.listen': { channel: string; transport: SocketTransport; address: string; detail?: string };
  /** A client's connect() succeeded: `local` is the client's own address (its ephemeral port), `remote` the server's. */
  'socket.connect': { channel: string; transport: SocketTransport; local: string; remote: string };
  /** A server's accept() returned a connection: `local` is the server's address, `remote` the client's. */
  'socket.accept': { channel: string; transport: SocketTransport; local: string; remote: string };
  /**
   * A connection ended, seen from this process. `how`: `end` the peer closed in order (FIN, read returned
   * 0), `reset` the peer vanished (ECONNRESET/EPIPE: e.g. it died mid-stream), `local` this process closed it.
   */
  'socket.close': {
    channel: string;
    transport: SocketTransport;
    local?: string;
    remote?: string;
    how: 'end' | 'reset' | 'local';
    bytesIn?: number;
    bytesOut?: number;
    detail?: string;
  };

  // Remote procedure calls. `xid` is the call's request id (ONC RPC's transaction id), chosen by the client.
  /** The client stub is calling `procedure` (attempt 1) or retrying it (attempt > 1) with these arguments. */
  'rpc.call': { channel: string; xid: number; procedure: string; args: string; attempt: number };
  /** The server stub ran the procedure for request `xid`. */
  'rpc.execute': { channel: string; xid: number; procedure: string; args: string; result: string };
  /**
   * The server saw request `xid` again. `action`: `replayed` it sent the reply it kept, without running the
   * procedure (at-most-once); `dropped` it ignored it (the reply is still being computed); `executed-again`
   * it had no duplicate table and ran the procedure a second time.
   */
  'rpc.duplicate': { channel: string; xid: number; procedure: string; action: 'replayed' | 'dropped' | 'executed-again'; detail?: string };
  /** The client stub got the reply to `xid` after `attempts` tries, `durationNs` after the first. */
  'rpc.reply': { channel: string; xid: number; procedure: string; result: string; attempts: number; durationNs: string };
  /**
   * An RPC went wrong: a timeout with no retries left, an unknown procedure, a malformed or truncated
   * message (the server answers with an error or closes that connection, and keeps serving others).
   */
  'rpc.error': { channel: string; xid?: number; procedure?: string; code: string; message: string };
  /** The fault injector on a link acted on a message: dropped it, sent it twice, or held it back. */
  'rpc.fault': { channel: string; xid: number; fault: RpcFault; detail: string };
  /**
   * An RPC server read its durable log back from the file (when it starts again, or when it stops): one
   * entry per execution it had appended and fsync'ed before replying, in the file's order. `torn`: lines
   * that were not whole records (cut short by a crash of the machine).
   */
  'rpc.ledger': {
    channel: string;
    path: string;
    bytes: number;
    reason: 'recovery' | 'shutdown';
    entries: { xid: number; procedure: string; args: string; result: string }[];
    torn?: number;
  };

  /** A value the program measured, e.g. the pipe's capacity. */
  measure: { name: string; value: number; unit: string; detail?: string };
  /** Free text from the program, shown in its lane. */
  note: { text: string };

  /** Host: it started a lab process (direct child of the host). */
  'host.spawn': { program: string; ppid: number };
  /** Host: a process it started ended (from waitpid: exit code or signal). */
  'host.exit': { code: number | null; signal: string | null };
  /** Host: a line of the process's stdout or stderr. */
  'host.output': { stream: 'stdout' | 'stderr'; text: string };
  /** Host: something about the run the student should know (timeout, stop, a crash). */
  'host.warning': { text: string; fix?: string };
  /**
   * Kernel view: what /proc says about a process at this moment. `maps` lists its shared-memory
   * mappings (/proc/<pid>/maps lines whose file is in /dev/shm), when it has any.
   */
  'kernel.snapshot': {
    state: string;
    wchan: string;
    fds: KernelFd[];
    maps?: KernelMapping[];
    /** /proc/<pid>/io: bytes and calls through read()/write() (and friends) since the process started. */
    io?: KernelIoCounters;
    /** /proc/<pid>/status: context switches since the process started (voluntary: it blocked). */
    switches?: { voluntary: number; involuntary: number };
    /** /proc/<pid>/stat utime and stime: CPU time in user mode and in the kernel, in ms (10 ms ticks). */
    cpu?: { userMs: number; systemMs: number };
    /** Set when the engine took this snapshot because a process asked for it (lab.snapshot()). */
    requested?: string;
    /**
     * Monotonic ns (decimal string) by which `state` and `wchan` had been read. The engine stamps `ts`
     * before it starts reading /proc for the process, and reads those two first: the process was in that
     * state at some moment from `ts` to `stateReadBy`. A check that asks "asleep during this call?" needs
     * both inside the call (on a loaded machine the reads can take milliseconds).
     */
    stateReadBy?: string;
  };
  /**
   * Kernel view: the run's named kernel objects as the file system shows them: shared-memory segments
   * (/dev/shm), message queues (/dev/mqueue, when that file system is mounted; `status` is the file's
   * text, e.g. "QSIZE:12 NOTIFY:0 SIGNO:0 NOTIFY_PID:0"), FIFOs and Unix socket files (in the run's directory).
   */
  'kernel.objects': {
    shm: { path: string; bytes: number }[];
    mqueue?: { path: string; status: string }[];
    fifo?: { path: string }[];
    socket?: { path: string }[];
  };
  /** Host: it removed kernel objects the run left (at the end of the run, on stop or after a crash). */
  'host.cleanup': { removed: string[] };
  /** Host: a line on a trace channel did not match this spec; it was not stored as an event. */
  'trace.rejected': { line: string; reason: string; fix: string };
}

/**
 * `wait`: waiting on a synchronisation object (a semaphore, a mutex, a futex word), or an RPC client
 * waiting for the reply to one call (main/runtime/rpc/client.ts). `bind`, `connect`,
 * `accept`: the socket calls (bind covers listen; EACCES and EADDRINUSE come from bind).
 */
export type IoOp = 'read' | 'write' | 'open' | 'wait' | 'bind' | 'connect' | 'accept';

export const IO_OPS = ['read', 'write', 'open', 'wait', 'bind', 'connect', 'accept'] as const satisfies readonly IoOp[];

/** `tcp`: TCP over IPv4/IPv6 (here, the loopback); `unix`: a Unix domain stream socket (a socket file). */
export type SocketTransport = 'tcp' | 'unix';

/** What a link's fault injector can do to a message (the RPC lab's failure step). */
export type RpcFault = 'drop-request' | 'drop-reply' | 'duplicate-request' | 'delay';

export const RPC_FAULTS = ['drop-request', 'drop-reply', 'duplicate-request', 'delay'] as const satisfies readonly RpcFault[];

/** A labelled run of a message's bytes (what describe() in main/runtime/rpc/xdr.ts produces). */
export interface MessageField {
  /** The field as a path into the value: 'amount', 'account.owner', 'items[2]', 'reply.tag'. */
  path: string;
  /**
   * What these bytes are: a type ('int', 'string<16>') or a part of one ('length of string<16>',
   * 'count of int<>', 'optional flag (bool)', 'padding').
   */
  type: string;
  /** Where the bytes start in the message. */
  offset: number;
  /** How many bytes (0 for void and empty data). */
  length: number;
  /** The bytes in hex, e.g. '00 00 00 64'. */
  bytes: string;
  /** The value as the lab shows it: '100', '"hello"', 'TRUE', 'RED (2)'; '' for padding and opaque. */
  value: string;
}

/**
 * /proc/<pid>/io (proc(5)): rchar and wchar count the bytes passed to read()/write() and their
 * relatives (pread, readv, sendfile, ...), whatever the file; syscr and syscw count those calls. Bytes
 * moved by loads and stores to a shared mapping never pass through them.
 */
export interface KernelIoCounters {
  rchar: number;
  wchar: number;
  syscr: number;
  syscw: number;
}

/** One file descriptor as /proc/<pid>/fd shows it. */
export interface KernelFd {
  fd: number;
  target: string;
  /** For a socket:[inode], what /proc/net/{tcp,tcp6,unix} say about that inode, when they know it. */
  socket?: KernelSocket;
  /**
   * For a pipe, a FIFO or a file: how the descriptor is open, from the flags line of
   * /proc/<pid>/fdinfo/<fd> (flags & O_ACCMODE): 'read' (O_RDONLY), 'write' (O_WRONLY), 'read-write' (O_RDWR).
   */
  mode?: 'read' | 'write' | 'read-write';
  /**
   * Set when the descriptor belongs to the runtime, not to the lab: 'trace channel' (IPC Lab's socket the
   * events go out on), "Node's event loop" (libuv's epoll, eventfd and internal pipes: a pipe no lab
   * event announced), 'output to IPC Lab' (stdout and stderr). The UI hides these by default.
   */
  runtime?: string;
}

/**
 * A socket as the kernel's tables show it. TCP (/proc/net/tcp, tcp6): the local and remote address and
 * the connection state (LISTEN, ESTABLISHED, TIME_WAIT, ...). Unix (/proc/net/unix): the bound path, if
 * any, and the state (LISTEN, CONNECTED, UNCONNECTED).
 */
export interface KernelSocket {
  transport: SocketTransport;
  local: string;
  remote?: string;
  state: string;
}

/** One mapping as /proc/<pid>/maps shows it: addresses (hex), permissions (rw-s: shared) and file. */
export interface KernelMapping {
  start: string;
  end: string;
  perms: string;
  path: string;
}

export type TraceEventKind = keyof TraceEventFields;

export type TraceEvent = {
  [K in TraceEventKind]: TraceEventBase & { kind: K } & TraceEventFields[K];
}[TraceEventKind];

export type TraceEventOf<K extends TraceEventKind> = Extract<TraceEvent, { kind: K }>;

/**
 * An event as stored and pushed: the emitted event plus its run and `seq`, the host's sequence number
 * (the order the host received events in, from 1 per run).
 */
export type StoredEvent = TraceEvent & { runId: number; seq: number };

export type StoredEventOf<K extends TraceEventKind> = TraceEventOf<K> & { runId: number; seq: number };

export const LAB_EVENT_KINDS = [
  'process.start',
  'process.exit',
  'child.exit',
  'object.create',
  'object.open',
  'buffer.level',
  'io.begin',
  'io.end',
  'io.eof',
  'io.error',
  'io.close',
  'snapshot.request',
  'message.send',
  'message.receive',
  'message.bytes',
  'socket.listen',
  'socket.connect',
  'socket.accept',
  'socket.close',
  'rpc.call',
  'rpc.execute',
  'rpc.duplicate',
  'rpc.reply',
  'rpc.error',
  'rpc.fault',
  'rpc.ledger',
  'measure',
  'note',
] as const satisfies readonly TraceEventKind[];

type FieldCheck = (value: unknown) => boolean;
const isString: FieldCheck = (v) => typeof v === 'string';
const isInt: FieldCheck = (v) => Number.isSafeInteger(v);
const isNumber: FieldCheck = (v) => typeof v === 'number' && Number.isFinite(v);
const isNanosString: FieldCheck = (v) => typeof v === 'string' && /^\d{1,20}$/.test(v);
const isIoOp: FieldCheck = (v) => (IO_OPS as readonly unknown[]).includes(v);
const isTransport: FieldCheck = (v) => v === 'tcp' || v === 'unix';
const isRpcFault: FieldCheck = (v) => (RPC_FAULTS as readonly unknown[]).includes(v);
const isField: FieldCheck = (v) => {
  const f = v as MessageField;
  return (
    typeof v === 'object' && v !== null && isString(f.path) && isString(f.type) && isInt(f.offset) && isInt(f.length) && isString(f.bytes) && isString(f.value)
  );
};
const isFieldList: FieldCheck = (v) => Array.isArray(v) && v.every(isField);
const optional =
  (check: FieldCheck): FieldCheck =>
  (v) =>
    v === undefined || check(v);
const isObjectRef: FieldCheck = (v) => typeof v === 'object' && v !== null && isString((v as KernelObjectRef).type) && isString((v as KernelObjectRef).name);

/** Required fields per lab event kind. Written by hand, not with zod: this runs for every event. */
const LAB_EVENT_FIELDS: Record<(typeof LAB_EVENT_KINDS)[number], Record<string, FieldCheck>> = {
  'process.start': { ppid: isInt, program: isString, traceFd: optional(isInt) },
  'process.exit': { code: isInt },
  'child.exit': { childPid: isInt, childRole: isString, code: (v) => v === null || isInt(v), signal: (v) => v === null || isString(v) },
  'object.create': { channel: isString, object: isObjectRef, detail: optional(isString) },
  'object.open': { channel: isString, object: isObjectRef, detail: optional(isString) },
  'buffer.level': { channel: isString, used: isInt, capacity: (v) => v === null || isInt(v) },
  'io.begin': { op: isIoOp, channel: isString, bytes: optional(isInt) },
  'io.end': { op: isIoOp, channel: isString, bytes: isInt, durationNs: isNanosString },
  'io.eof': { channel: isString },
  'io.error': { op: isIoOp, channel: isString, code: isString, message: isString },
  'io.close': { channel: isString, end: (v) => v === 'read' || v === 'write' || v === 'both' },
  'snapshot.request': { reason: isString },
  'message.send': { channel: isString, messageId: isInt, bytes: isInt, text: optional(isString) },
  'message.receive': { channel: isString, messageId: isInt, bytes: isInt, text: optional(isString) },
  'message.bytes': {
    channel: isString,
    messageId: isInt,
    direction: (v) => v === 'send' || v === 'receive',
    bytes: isInt,
    hex: isString,
    fields: isFieldList,
    encoding: optional(isString),
  },
  'socket.listen': { channel: isString, transport: isTransport, address: isString, detail: optional(isString) },
  'socket.connect': { channel: isString, transport: isTransport, local: isString, remote: isString },
  'socket.accept': { channel: isString, transport: isTransport, local: isString, remote: isString },
  'socket.close': {
    channel: isString,
    transport: isTransport,
    local: optional(isString),
    remote: optional(isString),
    how: (v) => v === 'end' || v === 'reset' || v === 'local',
    bytesIn: optional(isInt),
    bytesOut: optional(isInt),
    detail: optional(isString),
  },
  'rpc.call': { channel: isString, xid: isInt, procedure: isString, args: isString, attempt: isInt },
  'rpc.execute': { channel: isString, xid: isInt, procedure: isString, args: isString, result: isString },
  'rpc.duplicate': {
    channel: isString,
    xid: isInt,
    procedure: isString,
    action: (v) => v === 'replayed' || v === 'dropped' || v === 'executed-again',
    detail: optional(isString),
  },
  'rpc.reply': { channel: isString, xid: isInt, procedure: isString, result: isString, attempts: isInt, durationNs: isNanosString },
  'rpc.error': { channel: isString, xid: optional(isInt), procedure: optional(isString), code: isString, message: isString },
  'rpc.fault': { channel: isString, xid: isInt, fault: isRpcFault, detail: isString },
  'rpc.ledger': {
    channel: isString,
    path: isString,
    bytes: isInt,
    reason: (v) => v === 'recovery' || v === 'shutdown',
    entries: (v) =>
      Array.isArray(v) &&
      v.every((e) => typeof e === 'object' && e !== null && isInt(e.xid) && isString(e.procedure) && isString(e.args) && isString(e.result)),
    torn: optional(isInt),
  },
  measure: { name: isString, value: isNumber, unit: isString, detail: optional(isString) },
  note: { text: isString },
};

export type LineVerdict = { ok: true; event: TraceEvent } | { ok: false; reason: string };

/** Longest trace line the host accepts; longer ones are refused (a runaway program, or a missing newline). */
export const MAX_TRACE_LINE_BYTES = 16 * 1024;

/**
 * Checks one trace line from a lab process. `pid` is the process the channel belongs to: a line may not
 * speak for another process.
 */
export function parseLabTraceLine(line: string, pid: number): LineVerdict {
  if (line.length > MAX_TRACE_LINE_BYTES) return { ok: false, reason: `line is longer than ${MAX_TRACE_LINE_BYTES} bytes` };
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'not a JSON object' };
  const event = value as Record<string, unknown>;
  if (event.v !== TRACE_SCHEMA_VERSION) return { ok: false, reason: `schema version ${String(event.v)} is not the host's version ${TRACE_SCHEMA_VERSION}` };
  if (!isNanosString(event.ts)) return { ok: false, reason: '"ts" must be monotonic nanoseconds as a decimal string' };
  if (event.pid !== pid) return { ok: false, reason: `"pid" is ${String(event.pid)} but the channel belongs to pid ${pid}` };
  if (!isString(event.role)) return { ok: false, reason: '"role" must be a string' };
  const kind = event.kind;
  if (typeof kind !== 'string' || !Object.hasOwn(LAB_EVENT_FIELDS, kind))
    return { ok: false, reason: `unknown kind ${JSON.stringify(kind)} (lab programs may emit: ${LAB_EVENT_KINDS.join(', ')})` };
  const fields = LAB_EVENT_FIELDS[kind as (typeof LAB_EVENT_KINDS)[number]];
  for (const name in fields) {
    if (!fields[name]!(event[name])) return { ok: false, reason: `field "${name}" of a ${kind} event is missing or of the wrong type` };
  }
  return { ok: true, event: event as unknown as TraceEvent };
}
