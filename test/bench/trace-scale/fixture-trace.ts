/**
 * A synthetic trace of any size, for measuring how the trace viewer scales (issue 13): exactly
 * `events` events of the kinds a real run has, over `children + 1` processes (lanes). A parent sends
 * messages round-robin to its children, one pipe each ("pipe-1", "pipe-2", ...). Per message:
 *
 *   parent: io.begin write, io.end write, message.send, buffer.level (the pipe after the write)
 *   child:  io.begin read,  io.end read,  message.receive, buffer.level (the pipe after the read)
 *
 * so the timeline draws an arrow per message, an occupancy track per pipe and, every few messages, a
 * call that blocked for more than a millisecond (a write into a full pipe, a read of an empty one:
 * BLOCKED_THRESHOLD_NS is 1 ms). Each process starts with process.start, gets a kernel.snapshot every
 * SNAPSHOT_EVERY events of the trace, and ends with process.exit. Whatever is left below `events` after
 * the last whole message is made up with buffer.level events, so that no call is left open.
 *
 * Deterministic (no clock, no randomness): the same spec gives the same events, in `ts` order, which is
 * also the order they are numbered in (`seq`, from 1). Every lab kind passes parseLabTraceLine; the
 * kernel snapshots are the host's kind and carry the fields its spec requires (state, wchan, fds).
 */
import { TRACE_SCHEMA_VERSION, type TraceEvent, type TraceEventKind } from '../../../main/contract/trace-events.js';
import type { EventRow } from '../../../main/engine/event-store.js';
import type { ProcessInfo } from '../../../main/contract/lab-model.js';

export interface FixtureSpec {
  /** How many events the trace holds, exactly (at least FIXTURE_MIN_EVENTS). */
  events: number;
  /** Processes besides the parent, each with its own pipe from the parent (1 or more). */
  children: number;
  /** The run's start on the monotonic clock, ns; the first event is a little after it. */
  startTs: bigint;
}

/** The kinds every fixture trace has, whatever its size. */
export const FIXTURE_KINDS = [
  'process.start',
  'io.begin',
  'io.end',
  'message.send',
  'message.receive',
  'buffer.level',
  'kernel.snapshot',
  'process.exit',
] as const satisfies readonly TraceEventKind[];

/** A kernel.snapshot of every process after this many events of the trace (and one at the start). */
export const SNAPSHOT_EVERY = 20_000;
/** Every BLOCKING_EVERY-th message, the write blocks and the reader waited: both calls take over 1 ms. */
export const BLOCKING_EVERY = 8;
/** The pipe's capacity, for buffer.level. */
const PIPE_CAPACITY = 65_536;
const MESSAGE_BYTES = 512;
const FIRST_PID = 41_000;

/** Room for every process's start, first snapshot and exit, and one whole message. */
export function fixtureMinEvents(children: number): number {
  return 3 * (children + 1) + 8;
}

/** The run's processes as the store keeps them: all exited with code 0. */
export function fixtureProcesses(children: number): ProcessInfo[] {
  const parent = FIRST_PID;
  return [
    { pid: parent, ppid: 1, role: 'parent', program: 'programs/message-writer.ts', state: 'exited', exitCode: 0, signal: null },
    ...Array.from({ length: children }, (_, i): ProcessInfo => ({
      pid: parent + 1 + i,
      ppid: parent,
      role: `child-${i + 1}`,
      program: 'programs/message-reader.ts',
      state: 'exited',
      exitCode: 0,
      signal: null,
    })),
  ];
}

/** The trace's events in order. Throws on a spec it cannot honour (too few events, no child). */
export function* fixtureEvents(spec: FixtureSpec): Generator<TraceEvent> {
  const { events, children } = spec;
  if (!Number.isSafeInteger(children) || children < 1) throw new Error(`fixture: children must be a whole number of 1 or more (got ${children})`);
  if (!Number.isSafeInteger(events) || events < fixtureMinEvents(children))
    throw new Error(`fixture: events must be a whole number of at least ${fixtureMinEvents(children)} for ${children} children (got ${events})`);
  const processes = fixtureProcesses(children);
  const parent = processes[0]!;
  let t = spec.startTs;
  let emitted = 0;
  const at = (step: bigint) => (t += step).toString();
  const base = (p: ProcessInfo, ts: string) => ({ v: TRACE_SCHEMA_VERSION, ts, pid: p.pid, role: p.role });
  const snapshot = (p: ProcessInfo, ts: string): TraceEvent => ({
    ...base(p, ts),
    kind: 'kernel.snapshot',
    state: 'S',
    wchan: p === parent ? 'pipe_write' : 'pipe_read',
    fds: [
      { fd: 0, target: '/dev/null', mode: 'read' },
      { fd: 3, target: `socket:[${900_000 + p.pid}]`, runtime: 'trace channel' },
      ...(p === parent
        ? processes.slice(1).map((c, i) => ({ fd: 10 + i, target: `pipe:[${800_000 + c.pid}]`, mode: 'write' as const }))
        : [{ fd: 10, target: `pipe:[${800_000 + p.pid}]`, mode: 'read' as const }]),
    ],
  });
  // The tail: every process's exit. Room for it is kept from the start.
  const tail = processes.length;
  const room = () => events - tail - emitted;

  for (const p of processes) {
    emitted++;
    yield { ...base(p, at(20_000n)), kind: 'process.start', ppid: p.ppid, program: p.program };
  }
  for (const p of processes) {
    emitted++;
    yield snapshot(p, at(5_000n));
  }
  let nextSnapshotAt = SNAPSHOT_EVERY;
  for (let message = 1; room() >= 8 + (emitted + 8 >= nextSnapshotAt ? processes.length : 0); message++) {
    const k = (message - 1) % children;
    const events = messageEvents(parent, processes[k + 1]!, `pipe-${k + 1}`, message, Math.floor((message - 1) / children) + 1, t);
    t = BigInt(events[7]!.ts);
    emitted += 8;
    yield* events;
    if (emitted >= nextSnapshotAt) {
      nextSnapshotAt += SNAPSHOT_EVERY;
      for (const p of processes) {
        emitted++;
        yield snapshot(p, at(5_000n));
      }
    }
  }
  // Made up to the count promised with occupancy readings (a pipe seen empty), then the exits.
  for (let i = 0; room() > 0; i++) {
    emitted++;
    const child = processes[(i % children) + 1]!;
    yield { ...base(child, at(1_000n)), kind: 'buffer.level', channel: `pipe-${(i % children) + 1}`, used: 0, capacity: PIPE_CAPACITY };
  }
  for (const p of [...processes].reverse()) {
    emitted++;
    yield { ...base(p, at(20_000n)), kind: 'process.exit', code: 0 };
  }
}

/**
 * One message from the parent to `child`, from `t` on: its 8 events, in time order. A plain function
 * building plain literals, out of the generator: V8 runs it many times faster than the same code inline.
 */
function messageEvents(parent: ProcessInfo, child: ProcessInfo, channel: string, message: number, messageId: number, t: bigint): TraceEvent[] {
  const v = TRACE_SCHEMA_VERSION;
  const bytes = MESSAGE_BYTES;
  const writeNs = message % BLOCKING_EVERY === 0 ? 1_500_000 + ((message * 7919) % 1_000_000) : 4_000;
  // The reader is already waiting when the write begins; its read returns just after the write did,
  // so it blocked for as long as the write (over 1 ms every BLOCKING_EVERY-th message).
  const at = (offsetNs: number) => (t + BigInt(offsetNs)).toString();
  const readTook = writeNs + 1_000 + 500 + 200 + 1_000;
  // A pipe that fills a little more with each message and is drained every 64th: a varied occupancy track.
  const level = ((messageId - 1) % 64) + 1;
  const usedAfterRead = level === 64 ? 0 : (level - 1) * bytes + bytes / 2;
  const { pid, role } = parent;
  const { pid: childPid, role: childRole } = child;
  return [
    { v, ts: at(2_000), pid: childPid, role: childRole, kind: 'io.begin', op: 'read', channel, bytes },
    { v, ts: at(3_000), pid, role, kind: 'io.begin', op: 'write', channel, bytes },
    { v, ts: at(3_000 + writeNs), pid, role, kind: 'io.end', op: 'write', channel, bytes, durationNs: String(writeNs) },
    { v, ts: at(3_500 + writeNs), pid, role, kind: 'message.send', channel, messageId, bytes },
    { v, ts: at(3_700 + writeNs), pid, role, kind: 'buffer.level', channel, used: level * bytes, capacity: PIPE_CAPACITY },
    { v, ts: at(2_000 + readTook), pid: childPid, role: childRole, kind: 'io.end', op: 'read', channel, bytes, durationNs: String(readTook) },
    { v, ts: at(2_500 + readTook), pid: childPid, role: childRole, kind: 'message.receive', channel, messageId, bytes },
    { v, ts: at(2_700 + readTook), pid: childPid, role: childRole, kind: 'buffer.level', channel, used: usedAfterRead, capacity: PIPE_CAPACITY },
  ];
}

/** The events as the store takes them, `batchSize` at a time, numbered from seq 1. */
export function* fixtureRows(spec: FixtureSpec, batchSize: number): Generator<EventRow[]> {
  let batch: EventRow[] = [];
  let seq = 0;
  for (const event of fixtureEvents(spec)) {
    batch.push({ seq: ++seq, ts: event.ts, pid: event.pid, kind: event.kind, data: JSON.stringify(event) });
    if (batch.length === batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
