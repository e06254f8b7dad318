/**
 * What the timeline's legend says: each mark kind in plain words, and the trace events that draw it.
 * The events are not written here: they are found by asking `markKindOf` (main/contract/trace-marks.ts,
 * the table the timeline draws with) about every event kind of the spec, so the legend cannot drift
 * from what is drawn. Plain logic, unit-tested under Node.
 */
import { BLOCKED_THRESHOLD_NS, MARK_KINDS, markKindOf, type MarkKind } from '../../../../main/contract/trace-marks.js';
import type { TraceEventKind } from '../../../../main/contract/trace-events.js';

/** Every event kind of the spec (main/contract/trace-events.ts); the compiler insists on each one. */
const EVENT_KINDS: Record<TraceEventKind, true> = {
  'process.start': true,
  'process.exit': true,
  'child.exit': true,
  'object.create': true,
  'object.open': true,
  'buffer.level': true,
  'io.begin': true,
  'io.end': true,
  'io.eof': true,
  'io.error': true,
  'io.close': true,
  'snapshot.request': true,
  'message.send': true,
  'message.receive': true,
  'message.bytes': true,
  'socket.listen': true,
  'socket.connect': true,
  'socket.accept': true,
  'socket.close': true,
  'rpc.call': true,
  'rpc.execute': true,
  'rpc.duplicate': true,
  'rpc.reply': true,
  'rpc.error': true,
  'rpc.fault': true,
  'rpc.ledger': true,
  measure: true,
  note: true,
  'host.spawn': true,
  'host.exit': true,
  'host.output': true,
  'host.warning': true,
  'kernel.snapshot': true,
  'kernel.objects': true,
  'host.cleanup': true,
  'trace.rejected': true,
};

/** Each mark in plain words, true to the events `markKindOf` draws it for (see `markEvents`). */
export const MARK_MEANINGS: Record<MarkKind, string> = {
  start: 'a process started: the host spawned it, or it connected its trace channel',
  exit: 'a process exited: it said it was exiting, or the host’s waitpid returned its exit code',
  killed: 'a process was ended by a signal (SIGTERM, SIGKILL): the host’s waitpid said which',
  reap: 'a parent’s waitpid returned: its child ended',
  create: 'a kernel object was created or opened by name, or an end of one handed to the process; a socket started listening, connected or accepted',
  io: 'a call that may block (read, write, open, wait, bind, connect, accept) started or returned',
  send: 'a whole message went out, or a client called a remote procedure',
  receive: 'a whole message arrived, or a remote call’s reply came back',
  eof: 'end of file: read() returned 0, every write end is closed and the buffer is empty',
  error: 'a call failed with an errno (EPIPE, EAGAIN, …), or a remote call went wrong',
  close: 'an end of a channel was closed, or a connection ended',
  measure: 'a value the program measured; an RPC server ran a procedure or read back its log',
  note: 'a note from the program, or its request for a kernel snapshot now',
  output: 'a line the process wrote to stdout or stderr',
  warning: 'something to know: the host’s warning (a timeout, a stop, a crash), a fault injected on a link, a request the server saw again',
  rejected: 'a trace line that did not follow the event spec: the host did not store it',
};

/**
 * The event kinds drawn as `mark`, as `markKindOf` maps them. host.exit is drawn as `killed` when its
 * signal is set and as `exit` otherwise, so it is asked both ways. Kinds the spec does not know yet are
 * drawn as `note` too (markKindOf's default); they are not listed.
 */
export function markEvents(mark: MarkKind): string[] {
  return (Object.keys(EVENT_KINDS) as TraceEventKind[]).filter((kind) => markKindOf(kind) === mark || markKindOf(kind, 'SIGKILL') === mark);
}

/** The legend's rows for the marks, in MARK_KINDS order. */
export const MARK_ROWS: readonly { kind: MarkKind; meaning: string; events: string[] }[] = MARK_KINDS.map((kind) => ({
  kind,
  meaning: MARK_MEANINGS[kind],
  events: markEvents(kind),
}));

/** "1 ms": the blocked threshold as the legend writes it. */
export function blockedThresholdText(): string {
  const ms = Number(BLOCKED_THRESHOLD_NS) / 1e6;
  return ms >= 1 ? `${ms} ms` : `${ms * 1000} µs`;
}
