/**
 * One run's trace as Chrome Trace Event Format JSON, the file Perfetto UI (ui.perfetto.dev) and
 * chrome://tracing open. Every stored event shows up, on the track of the process it is about:
 *
 * | trace event kind                                    | Trace Event Format                                            |
 * |-----------------------------------------------------|---------------------------------------------------------------|
 * | io.begin + io.end (or io.error)                     | `X` slice "read(pipe)" over the call, args channel/bytes/code |
 * | io.begin that nothing closed                        | `X` slice to its process's end, args.unfinished = true        |
 * | io.end without an io.begin                          | `X` slice of its durationNs, args.beginMissing = true         |
 * | message.send / message.receive that pair up         | 1 µs `X` slice each, joined by a flow arrow (bind_id)         |
 * | rpc.call → rpc.execute → rpc.reply of one xid       | 1 µs `X` slice each, joined by one flow (out, step, in)       |
 * | buffer.level                                        | `C` counter per channel, args {used}, on "Buffers and queues" |
 * | kernel.objects (message queues)                     | `C` counter per queue, args {bytes} (QSIZE), and an instant   |
 * | host.exit / child.exit with a signal                | `i` "killed by SIGTERM" on the process that was killed        |
 * | everything else (errors, EOF, notes, start/exit, …) | `i` thread-scoped instant, the event's fields in args         |
 *
 * Every instant and slice carries the event's `kind` and `seq` in args, so a point on the timeline
 * leads back to its row in the CSV export (csv-trace.ts) and in the app.
 *
 * Tracks: one process per lab process (pid as both pid and tid), named "<role> (pid N)". Events with pid
 * 0 (the host's own: kernel.objects, host.cleanup, some host.warning) go on an "IPC Lab host" process and
 * counters on a "Buffers and queues" process. Those two use ids at and above Linux's PID_MAX_LIMIT
 * (2^22, include/linux/threads.h), which no real process can have; pid 0 itself is the kernel's idle
 * task, and Perfetto's importer and UI treat it specially (google/perfetto#394: "avoid using pid = 0 if
 * you are synthesizing a trace").
 *
 * Time: `ts` and `dur` are µs since the run's start (run.startTs), computed in bigint nanoseconds and
 * converted last, so they print with at most three decimals: Perfetto's tokenizer reads those digits
 * back into exact nanoseconds (json::CoerceToTs on the raw text). Events are ordered by `ts`, never by
 * `seq` (the host numbers events as they arrive, and processes' batches interleave).
 *
 * What Perfetto's JSON importer needs (src/trace_processor/importers/json/json_trace_parser_impl.cc and
 * importers/common/slice_tracker.cc), and how this file meets it:
 *   - Slices on one thread must nest or be disjoint (the spec's rule; a slice that starts inside another
 *     and ends after it is dropped, or in newer versions moved to an overflow track). Calls are laid on
 *     a process's own thread when they nest, else on an extra thread of the same process; the 1 µs
 *     message slices are shortened so that they end before the next slice begins and inside the call
 *     around them. `checkNesting` finds any slice that would still be dropped.
 *   - Flows bind only to slices (`X`, `B`), never to instants, and are matched in time order: a flow
 *     whose end is earlier than its start is dropped. A message whose receive was stamped before its
 *     send (the sender stamps after write() returns) therefore gets no arrow, and says so in args.flow.
 *   - At equal ts the importer takes longer slices first; so does this file (parents before children).
 */
import type { RunSummary } from '../contract/lab-model.js';
import { parseNanos, TRACE_SCHEMA_VERSION, type Nanos, type StoredEvent, type StoredEventOf } from '../contract/trace-events.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type ArgsJson = { [key: string]: JsonValue };

/** `M`: names a process or a thread track. */
export interface MetadataEventJson {
  ph: 'M';
  name: 'process_name' | 'thread_name';
  pid: number;
  tid: number;
  ts: 0;
  args: { name: string };
}

/** `X`: a slice from `ts` for `dur` µs. A flow arrow leaves it (`flow_out`), enters it (`flow_in`) or both. */
export interface CompleteEventJson {
  ph: 'X';
  name: string;
  cat: string;
  pid: number;
  tid: number;
  ts: number;
  dur: number;
  args: ArgsJson;
  bind_id?: number;
  flow_out?: true;
  flow_in?: true;
}

/** `i` with thread scope: a point on the process's track. */
export interface InstantEventJson {
  ph: 'i';
  s: 't';
  name: string;
  cat: string;
  pid: number;
  tid: number;
  ts: number;
  args: ArgsJson;
}

/** `C`: a counter track per (pid, name, arg key), e.g. "mailbox shared (capacity 10) used". */
export interface CounterEventJson {
  ph: 'C';
  name: string;
  cat: string;
  pid: number;
  tid: number;
  ts: number;
  args: Record<string, number>;
}

export type TraceEventJson = MetadataEventJson | CompleteEventJson | InstantEventJson | CounterEventJson;

/** Top-level `metadata`: importers ignore it; people reading the file get the run it came from. */
export interface PerfettoTraceMetadata {
  source: 'IPC Lab';
  traceSchemaVersion: number;
  runId: number;
  labId: string;
  stepId: string | null;
  scenarioId: string;
  status: string;
  params: Record<string, string | number | boolean>;
  /** The timeline's origin: monotonic ns (decimal string); every ts is µs since this. */
  startTs: string;
  startedAt: string;
  endedAt: string | null;
  /** The synthetic processes' ids. */
  hostPid: number;
  buffersPid: number;
  /** Message pairs drawn without an arrow (the receive was stamped before the send). */
  arrowsNotDrawn: number;
}

export interface PerfettoTrace {
  traceEvents: TraceEventJson[];
  displayTimeUnit: 'ms';
  metadata: PerfettoTraceMetadata;
}

/** Linux pids are below PID_MAX_LIMIT (2^22): ids from here on can never be a real process's. */
const PID_MAX_LIMIT = 4_194_304;
export const HOST_TRACK_PID = PID_MAX_LIMIT;
export const BUFFERS_TRACK_PID = PID_MAX_LIMIT + 1;
const FIRST_EXTRA_TID = PID_MAX_LIMIT + 2;

/** How long a message or RPC slice is at most: long enough to click, short enough to stay a point. */
const MARKER_NS = 1000n;
const NAME_CHARS = 80;

/** Lossy on purpose (a float): exact when printed for runs shorter than 2^53 ns, about 104 days. */
export function nanosToMicrosLossy(ns: Nanos): number {
  return Number(ns) / 1000;
}

export function perfettoJson(run: RunSummary, events: StoredEvent[]): string {
  return JSON.stringify(toPerfettoTrace(run, events));
}

export function toPerfettoTrace(run: RunSummary, events: StoredEvent[]): PerfettoTrace {
  const timeline = byTime(run, events);
  const tracks = new Tracks(run, timeline);
  const calls = pairCalls(timeline, tracks);
  tracks.layOut(calls);
  const arrows = new Arrows();
  arrows.pairMessages(timeline);
  arrows.chainRpcs(timeline);

  const items: Item[] = [];
  const add = (item: Omit<Item, 'order'>) => items.push({ ...item, order: items.length });
  for (const call of calls) {
    add({ ph: 'X', pid: call.pid, tid: tracks.tidOf(call.pid, call.lane), start: call.start, dur: call.end - call.start, ...call.label });
  }
  const markers = timeline.filter((e) => arrows.flows.has(e.event));
  const durations = markerDurations(markers, calls);
  for (const e of timeline) {
    const pid = trackPid(e.event);
    const flow = arrows.flows.get(e.event);
    const args = argsOf(e.event, arrows.notes.get(e.event));
    if (flow) add({ ph: 'X', pid, tid: pid, start: e.t, dur: durations.get(e.event)!, name: nameOf(e.event), cat: catOf(e.event), args, flow });
    else if (e.event.kind === 'buffer.level') add(bufferCounter(e.event, e.t));
    else if (e.event.kind !== 'io.begin' && e.event.kind !== 'io.end') {
      if (e.event.kind === 'kernel.objects') for (const counter of queueCounters(e.event, e.t, tracks.queueChannels)) add(counter);
      add({ ph: 'i', pid, tid: pid, start: e.t, dur: 0n, name: nameOf(e.event), cat: catOf(e.event), args });
      const killed = killedElsewhere(e.event);
      if (killed) add({ ph: 'i', pid: killed.pid, tid: killed.pid, start: e.t, dur: 0n, name: killed.name, cat: 'process', args: killed.args });
    }
  }
  items.sort(byStart);
  return {
    traceEvents: [...tracks.metadata(items), ...items.map(toJson)],
    displayTimeUnit: 'ms',
    metadata: {
      source: 'IPC Lab',
      traceSchemaVersion: TRACE_SCHEMA_VERSION,
      runId: run.runId,
      labId: run.labId,
      stepId: run.stepId,
      scenarioId: run.scenarioId,
      status: run.status,
      params: run.params,
      startTs: run.startTs,
      startedAt: run.startedAt,
      endedAt: run.endedAt,
      hostPid: HOST_TRACK_PID,
      buffersPid: BUFFERS_TRACK_PID,
      arrowsNotDrawn: arrows.notDrawn,
    },
  };
}

/**
 * Slices and instants that would not nest on their thread: what Perfetto's importer would drop (or move
 * aside), with the two slices named. Empty when the trace is well formed. Times are read back as the
 * importer does, in whole nanoseconds; events with the same ts are taken in file order, as older
 * importers do (newer ones take longer slices first), so a child written before its parent is caught.
 */
export function checkNesting(traceEvents: readonly TraceEventJson[]): string[] {
  const problems: string[] = [];
  const byThread = new Map<string, { name: string; start: number; end: number; index: number }[]>();
  traceEvents.forEach((e, index) => {
    if (e.ph !== 'X' && e.ph !== 'i') return;
    const dur = e.ph === 'X' ? e.dur : 0;
    if (!Number.isFinite(e.ts) || !Number.isFinite(dur) || dur < 0) {
      problems.push(`pid ${e.pid} tid ${e.tid}: "${e.name}" has ts ${e.ts} µs and dur ${dur} µs`);
      return;
    }
    const start = Math.round(e.ts * 1000);
    const key = `${e.pid}/${e.tid}`;
    let list = byThread.get(key);
    if (!list) byThread.set(key, (list = []));
    list.push({ name: e.name, start, end: start + Math.round(dur * 1000), index });
  });
  for (const [key, list] of byThread) {
    list.sort((a, b) => a.start - b.start || a.index - b.index);
    const open: typeof list = [];
    for (const slice of list) {
      while (open.length > 0 && open[open.length - 1]!.end <= slice.start) open.pop();
      const parent = open[open.length - 1];
      if (parent && slice.end > parent.end) {
        problems.push(
          `pid/tid ${key}: "${slice.name}" [${slice.start / 1000}, ${slice.end / 1000}] µs starts inside "${parent.name}" [${parent.start / 1000}, ${parent.end / 1000}] µs and ends after it`,
        );
        continue;
      }
      open.push(slice);
    }
  }
  return problems;
}

/** The process an event is drawn on: its own, or the host's track for pid 0. */
function trackPid(event: StoredEvent): number {
  return event.pid === 0 ? HOST_TRACK_PID : event.pid;
}

/** An event with its time since the run's start. */
interface Timed {
  event: StoredEvent;
  t: Nanos;
}

function byTime(run: RunSummary, events: readonly StoredEvent[]): Timed[] {
  const start = parseNanos(run.startTs);
  return events.map((event) => ({ event, t: parseNanos(event.ts) - start })).sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : a.event.seq - b.event.seq));
}

/** What the output will be, in nanoseconds since the run's start; converted to µs last. */
interface Item {
  ph: 'X' | 'i' | 'C';
  pid: number;
  tid: number;
  start: Nanos;
  /** 0n for instants and counters. */
  dur: Nanos;
  name: string;
  cat: string;
  args: ArgsJson;
  flow?: Flow;
  /** Creation order, the last tie-break. */
  order: number;
}

type FlowRole = 'out' | 'step' | 'in';
interface Flow {
  id: number;
  role: FlowRole;
}
const FLOW_RANK: Record<FlowRole, number> = { out: 0, step: 1, in: 2 };
const PHASE_RANK: Record<Item['ph'], number> = { X: 0, i: 1, C: 2 };

/** Time, then slices before instants, longer slices first (parents before children), then a flow's start before its end. */
function byStart(a: Item, b: Item): number {
  if (a.start !== b.start) return a.start < b.start ? -1 : 1;
  if (a.ph !== b.ph) return PHASE_RANK[a.ph] - PHASE_RANK[b.ph];
  if (a.dur !== b.dur) return a.dur > b.dur ? -1 : 1;
  const flows = (a.flow ? FLOW_RANK[a.flow.role] : 1) - (b.flow ? FLOW_RANK[b.flow.role] : 1);
  return flows || a.order - b.order;
}

function toJson(item: Item): TraceEventJson {
  const { name, cat, pid, tid, args } = item;
  const ts = nanosToMicrosLossy(item.start);
  if (item.ph === 'i') return { ph: 'i', s: 't', name, cat, pid, tid, ts, args };
  if (item.ph === 'C') return { ph: 'C', name, cat, pid, tid, ts, args: args as Record<string, number> };
  const slice: CompleteEventJson = { ph: 'X', name, cat, pid, tid, ts, dur: nanosToMicrosLossy(item.dur), args };
  if (item.flow) {
    slice.bind_id = item.flow.id;
    if (item.flow.role !== 'in') slice.flow_out = true;
    if (item.flow.role !== 'out') slice.flow_in = true;
  }
  return slice;
}

/** How a process ended, from the earliest event that says so. */
interface ProcessEnd {
  t: Nanos;
  how: string;
}

/**
 * The processes: their roles, their extra threads (for calls that overlap), when each ended and the
 * last thing each did, and which channel each message queue file is.
 */
class Tracks {
  readonly #roles = new Map<number, string>();
  readonly #extraTids = new Map<number, number[]>();
  #nextTid = FIRST_EXTRA_TID;
  readonly ends = new Map<number, ProcessEnd>();
  readonly lastT = new Map<number, Nanos>();
  readonly runLastT: Nanos;
  /** "/dev/mqueue/ipc-lab-…-shared" → "mailbox shared", from object.create / object.open. */
  readonly queueChannels = new Map<string, string>();

  constructor(run: RunSummary, timeline: readonly Timed[]) {
    for (const p of run.processes) this.#roles.set(p.pid, p.role);
    let runLast = 0n;
    for (const { event, t } of timeline) {
      if (t > runLast) runLast = t;
      const pid = trackPid(event);
      if (event.pid !== 0 && !this.#roles.has(pid)) this.#roles.set(pid, event.role && event.role !== 'host' ? event.role : 'process');
      this.#seen(pid, t);
      if (event.kind === 'process.exit') this.#ended(pid, t, `exit ${event.code}`, false);
      if (event.kind === 'host.exit') this.#ended(pid, t, event.signal ? `killed by ${event.signal}` : `exit ${event.code ?? '?'}`, event.signal !== null);
      if (event.kind === 'child.exit') {
        if (!this.#roles.has(event.childPid)) this.#roles.set(event.childPid, event.childRole);
        this.#seen(event.childPid, t);
        this.#ended(event.childPid, t, event.signal ? `killed by ${event.signal}` : `exit ${event.code ?? '?'}`, event.signal !== null);
      }
      if ((event.kind === 'object.create' || event.kind === 'object.open') && event.object.type === 'mqueue') {
        this.queueChannels.set(`/dev/mqueue${event.object.name}`, event.channel);
      }
    }
    this.runLastT = runLast;
  }

  roleOf(pid: number): string {
    return this.#roles.get(pid) ?? 'process';
  }

  /** Lane 0 is the process's own thread; the others are extra threads for calls that overlap it. */
  tidOf(pid: number, lane: number): number {
    if (lane === 0) return pid;
    const tids = this.#extraTids.get(pid) ?? [];
    this.#extraTids.set(pid, tids);
    while (tids.length < lane) tids.push(this.#nextTid++);
    return tids[lane - 1]!;
  }

  /** Where a call that never returned ends: its process's end, else its process's last event, else the run's. */
  endOfUnfinished(pid: number, begin: Nanos): { t: Nanos; endedBy: string } {
    const end = this.ends.get(pid);
    if (end && end.t >= begin) return { t: end.t, endedBy: end.how };
    const last = this.lastT.get(pid);
    if (last !== undefined && last > begin) return { t: last, endedBy: 'the last event of its process' };
    return { t: this.runLastT > begin ? this.runLastT : begin, endedBy: 'the end of the run' };
  }

  /** Puts each call on the first lane of its process where it nests; a new lane when none does. */
  layOut(calls: Call[]): void {
    const byPid = new Map<number, Call[]>();
    for (const call of calls) {
      const list = byPid.get(call.pid) ?? [];
      byPid.set(call.pid, list);
      list.push(call);
    }
    for (const list of byPid.values()) {
      list.sort(byCallStart);
      const lanes: Nanos[][] = [];
      for (const call of list) {
        let lane = 0;
        for (; lane < lanes.length; lane++) {
          const open = lanes[lane]!;
          while (open.length > 0 && open[open.length - 1]! <= call.start) open.pop();
          if (open.length === 0 || call.end <= open[open.length - 1]!) break;
        }
        if (lane === lanes.length) lanes.push([]);
        lanes[lane]!.push(call.end);
        call.lane = lane;
      }
    }
  }

  /** process_name and thread_name for every process and thread the items use (and every process of the run). */
  metadata(items: readonly Item[]): MetadataEventJson[] {
    const threads = new Map<number, Set<number>>();
    const use = (pid: number, tid: number) => {
      const set = threads.get(pid) ?? new Set<number>();
      threads.set(pid, set);
      set.add(tid);
    };
    for (const pid of this.#roles.keys()) use(pid, pid);
    for (const item of items) use(item.pid, item.tid);
    const out: MetadataEventJson[] = [];
    for (const pid of [...threads.keys()].sort((a, b) => a - b)) {
      const name = pid === HOST_TRACK_PID ? 'IPC Lab host' : pid === BUFFERS_TRACK_PID ? 'Buffers and queues' : `${this.roleOf(pid)} (pid ${pid})`;
      out.push({ ph: 'M', name: 'process_name', pid, tid: pid, ts: 0, args: { name } });
      for (const tid of [...threads.get(pid)!].sort((a, b) => a - b)) {
        const lane = tid === pid ? 0 : (this.#extraTids.get(pid)?.indexOf(tid) ?? -1) + 1;
        out.push({ ph: 'M', name: 'thread_name', pid, tid, ts: 0, args: { name: lane === 0 ? name : `${name}, overlapping calls ${lane}` } });
      }
    }
    return out;
  }

  #seen(pid: number, t: Nanos): void {
    const last = this.lastT.get(pid);
    if (last === undefined || t > last) this.lastT.set(pid, t);
  }

  #ended(pid: number, t: Nanos, how: string, bySignal: boolean): void {
    const known = this.ends.get(pid);
    if (!known) this.ends.set(pid, { t, how });
    else {
      // Events of different processes arrive out of order: keep the earliest time, and the signal from whichever event knew it.
      if (t < known.t) known.t = t;
      if (bySignal) known.how = how;
    }
  }
}

/** A call as a slice: from io.begin (or io.end minus its duration) to io.end, io.error or its process's end. */
interface Call {
  pid: number;
  start: Nanos;
  end: Nanos;
  lane: number;
  label: { name: string; cat: string; args: ArgsJson };
}

/**
 * Pairs each io.begin with the next io.end or io.error of the same pid, op and channel. The slice starts
 * at the io.end's own measurement (durationNs before it) when that lies after the io.begin, so that its
 * length is the time inside the call, as the app draws it.
 */
function pairCalls(timeline: readonly Timed[], tracks: Tracks): Call[] {
  const calls: Call[] = [];
  const open = new Map<string, Timed & { event: StoredEventOf<'io.begin'> }>();
  const unfinished = (begin: Timed & { event: StoredEventOf<'io.begin'> }, t: Nanos, endedBy: string) => {
    const { event } = begin;
    calls.push({
      pid: trackPid(event),
      start: begin.t,
      end: t,
      lane: 0,
      label: {
        name: `${event.op}(${event.channel}) never returned`,
        cat: 'io',
        args: { kind: 'io.begin', seq: event.seq, op: event.op, channel: event.channel, ...requested(event.bytes), unfinished: true, endedBy },
      },
    });
  };
  for (const timed of timeline) {
    const { event, t } = timed;
    if (event.kind !== 'io.begin' && event.kind !== 'io.end' && event.kind !== 'io.error') continue;
    const pid = trackPid(event);
    const key = `${pid}\u0000${event.op}\u0000${event.channel}`;
    const begin = open.get(key);
    if (event.kind === 'io.begin') {
      if (begin) unfinished(begin, t, 'another io.begin of the same call');
      open.set(key, { event, t });
      continue;
    }
    open.delete(key);
    if (event.kind === 'io.error') {
      if (!begin) continue; // an error with no call before it (EOWNERDEAD from a lock) is its instant alone
      calls.push({
        pid,
        start: begin.t,
        end: t,
        lane: 0,
        label: {
          name: `${event.op}(${event.channel}) → ${event.code}`,
          cat: 'io',
          args: {
            kind: 'io.begin',
            seq: begin.event.seq,
            endSeq: event.seq,
            op: event.op,
            channel: event.channel,
            ...requested(begin.event.bytes),
            code: event.code,
            message: event.message,
          },
        },
      });
      continue;
    }
    const measured = t - parseNanos(event.durationNs);
    const start = begin && measured < begin.t ? begin.t : measured;
    calls.push({
      pid,
      start,
      end: t,
      lane: 0,
      label: {
        name: `${event.op}(${event.channel})`,
        cat: 'io',
        args: {
          kind: begin ? 'io.begin' : 'io.end',
          seq: begin ? begin.event.seq : event.seq,
          endSeq: event.seq,
          op: event.op,
          channel: event.channel,
          ...requested(begin?.event.bytes),
          bytes: event.bytes,
          durationNs: event.durationNs,
          ...(begin ? {} : { beginMissing: true }),
        },
      },
    });
  }
  for (const begin of open.values()) {
    const end = tracks.endOfUnfinished(trackPid(begin.event), begin.t);
    unfinished(begin, end.t, end.endedBy);
  }
  return calls;
}

/** Earlier first; of two that start together, the longer (the one around the other). */
function byCallStart(a: Call, b: Call): number {
  if (a.start !== b.start) return a.start < b.start ? -1 : 1;
  return a.end > b.end ? -1 : a.end < b.end ? 1 : 0;
}

function requested(bytes: number | undefined): ArgsJson {
  return bytes === undefined ? {} : { requested: bytes };
}

/** The flow arrows: which events are their ends, and why a message got none. */
class Arrows {
  readonly flows = new Map<StoredEvent, Flow>();
  readonly notes = new Map<StoredEvent, string>();
  notDrawn = 0;
  #nextId = 1;

  /**
   * message.send → message.receive with the same channel and messageId, each receive taking the first
   * send of another process not yet taken (a process never receives its own message, as in the app's
   * timeline). The send may be stamped after the receive: the writer stamps once write() returns.
   */
  pairMessages(timeline: readonly Timed[]): void {
    const byKey = new Map<string, { sends: Timed[]; receives: Timed[] }>();
    for (const timed of timeline) {
      const { event } = timed;
      if (event.kind !== 'message.send' && event.kind !== 'message.receive') continue;
      const key = `${event.channel}\u0000${event.messageId}`;
      const entry = byKey.get(key) ?? { sends: [], receives: [] };
      byKey.set(key, entry);
      (event.kind === 'message.send' ? entry.sends : entry.receives).push(timed);
    }
    for (const { sends, receives } of byKey.values()) {
      for (const receive of receives) {
        const index = sends.findIndex((s) => s.event.pid !== receive.event.pid);
        if (index === -1) {
          this.notes.set(receive.event, 'no arrow: no other process sent a message with this channel and messageId');
          continue;
        }
        const [send] = sends.splice(index, 1) as [Timed];
        const early = send.t - receive.t;
        if (early > 0n) {
          this.notDrawn++;
          const note = `no arrow: the receive was stamped ${nanosToMicrosLossy(early)} µs before the send (Perfetto drops a flow that ends before it starts)`;
          this.notes.set(receive.event, note);
          this.notes.set(send.event, note);
          continue;
        }
        this.#chain([send.event, receive.event]);
      }
      for (const send of sends) this.notes.set(send.event, 'no arrow: no other process received this message');
    }
  }

  /** One flow per xid: the call that reached the server (the last before its first rpc.execute) → that rpc.execute → the rpc.reply after it. */
  chainRpcs(timeline: readonly Timed[]): void {
    const byXid = new Map<string, Timed[]>();
    for (const timed of timeline) {
      const { event } = timed;
      if (event.kind !== 'rpc.call' && event.kind !== 'rpc.execute' && event.kind !== 'rpc.reply') continue;
      const key = `${event.channel}\u0000${event.xid}`;
      const list = byXid.get(key) ?? [];
      byXid.set(key, list);
      list.push(timed);
    }
    for (const list of byXid.values()) {
      const execute = list.find((e) => e.event.kind === 'rpc.execute');
      if (!execute) continue;
      const call = list.filter((e) => e.event.kind === 'rpc.call' && e.t <= execute.t).pop();
      const reply = list.find((e) => e.event.kind === 'rpc.reply' && e.t >= execute.t);
      const chain = [call, execute, reply].filter((e): e is Timed => e !== undefined);
      if (chain.length >= 2) this.#chain(chain.map((e) => e.event));
    }
  }

  #chain(events: StoredEvent[]): void {
    const id = this.#nextId++;
    events.forEach((event, i) => this.flows.set(event, { id, role: i === 0 ? 'out' : i === events.length - 1 ? 'in' : 'step' }));
  }
}

/**
 * How long each arrow's slice is: 1 µs, cut short so that it ends before the next slice of its thread
 * begins and inside the call it lies in. Always at least 1 ns, since both bounds are later than its start.
 */
function markerDurations(markers: readonly Timed[], calls: readonly Call[]): Map<StoredEvent, Nanos> {
  const durations = new Map<StoredEvent, Nanos>();
  const byPid = new Map<number, { markers: Timed[]; calls: Call[] }>();
  const of = (pid: number) => {
    let entry = byPid.get(pid);
    if (!entry) byPid.set(pid, (entry = { markers: [], calls: [] }));
    return entry;
  };
  for (const m of markers) of(trackPid(m.event)).markers.push(m);
  for (const c of calls) if (c.lane === 0) of(c.pid).calls.push(c);
  for (const { markers: list, calls: own } of byPid.values()) {
    own.sort(byCallStart);
    // The first later marker after each one (markers at the same time nest: they are the same interval).
    const laterT: (Nanos | undefined)[] = [];
    for (let i = list.length - 1, later: Nanos | undefined; i >= 0; i--) {
      laterT[i] = later;
      if (i > 0 && list[i - 1]!.t < list[i]!.t) later = list[i]!.t;
    }
    const enclosing: Call[] = [];
    let next = 0;
    list.forEach((m, i) => {
      while (next < own.length && own[next]!.start <= m.t) {
        while (enclosing.length > 0 && enclosing[enclosing.length - 1]!.end <= own[next]!.start) enclosing.pop();
        enclosing.push(own[next++]!);
      }
      while (enclosing.length > 0 && enclosing[enclosing.length - 1]!.end <= m.t) enclosing.pop();
      let dur = MARKER_NS;
      const limit = (bound: Nanos | undefined) => {
        if (bound !== undefined && bound - m.t < dur) dur = bound - m.t;
      };
      limit(enclosing[enclosing.length - 1]?.end);
      limit(own[next]?.start);
      limit(laterT[i]);
      durations.set(m.event, dur);
    });
  }
  return durations;
}

function bufferCounter(event: StoredEventOf<'buffer.level'>, t: Nanos): Omit<Item, 'order'> {
  const name = `${event.channel} (${event.capacity === null ? 'unbounded' : `capacity ${event.capacity}`})`;
  return { ph: 'C', pid: BUFFERS_TRACK_PID, tid: BUFFERS_TRACK_PID, start: t, dur: 0n, name, cat: 'buffer', args: { used: event.used } };
}

/** The kernel's own count of the bytes waiting in each message queue (QSIZE in /dev/mqueue). */
function queueCounters(event: StoredEventOf<'kernel.objects'>, t: Nanos, channels: ReadonlyMap<string, string>): Omit<Item, 'order'>[] {
  return (event.mqueue ?? []).flatMap((q) => {
    const size = /QSIZE:(\d+)/.exec(q.status)?.[1];
    if (size === undefined) return [];
    const name = `${channels.get(q.path) ?? q.path} (QSIZE)`;
    return [{ ph: 'C' as const, pid: BUFFERS_TRACK_PID, tid: BUFFERS_TRACK_PID, start: t, dur: 0n, name, cat: 'kernel', args: { bytes: Number(size) } }];
  });
}

/** A child killed by a signal that its parent reaped: the signal is also marked on the child's own track. */
function killedElsewhere(event: StoredEvent): { pid: number; name: string; args: ArgsJson } | null {
  if (event.kind !== 'child.exit' || event.signal === null) return null;
  return { pid: event.childPid, name: `killed by ${event.signal}`, args: { kind: event.kind, seq: event.seq, signal: event.signal, reapedBy: event.pid } };
}

/** The event's own fields, without those every event has (v, ts, pid, role) and the store's runId. */
export function fieldsOf(event: StoredEvent): ArgsJson {
  const { v: _v, ts: _ts, pid: _pid, role: _role, kind: _kind, runId: _runId, seq: _seq, ...fields } = event;
  return fields as unknown as ArgsJson;
}

function argsOf(event: StoredEvent, note: string | undefined): ArgsJson {
  return { kind: event.kind, seq: event.seq, ...fieldsOf(event), ...(note === undefined ? {} : { flow: note }) };
}

function catOf(event: StoredEvent): string {
  return event.kind.split('.')[0]!;
}

function shorten(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= NAME_CHARS ? line : `${line.slice(0, NAME_CHARS - 1)}…`;
}

/** What the timeline writes on the slice or instant; the full event is in its args. */
function nameOf(event: StoredEvent): string {
  switch (event.kind) {
    case 'process.start':
      return `start ${event.program}`;
    case 'process.exit':
      return `exit ${event.code}`;
    case 'child.exit':
      return `waitpid: ${event.childRole} (pid ${event.childPid}) ${event.signal ? `killed by ${event.signal}` : `exit ${event.code ?? '?'}`}`;
    case 'object.create':
    case 'object.open':
      return `${event.kind === 'object.create' ? 'create' : 'open'} ${event.channel}: ${event.object.name}`;
    case 'buffer.level':
      return `${event.channel}: ${event.used} of ${event.capacity ?? '∞'}`;
    case 'io.begin':
    case 'io.end':
      return `${event.op}(${event.channel})`;
    case 'io.eof':
      return `EOF ${event.channel}`;
    case 'io.error':
      return `${event.code} in ${event.op}(${event.channel})`;
    case 'io.close':
      return `close ${event.channel} (${event.end})`;
    case 'snapshot.request':
      return shorten(`snapshot: ${event.reason}`);
    case 'message.send':
      return `send #${event.messageId} ${event.channel}`;
    case 'message.receive':
      return `receive #${event.messageId} ${event.channel}`;
    case 'message.bytes':
      return `${event.direction} bytes #${event.messageId} ${event.channel}`;
    case 'socket.listen':
      return `listen ${event.address}`;
    case 'socket.connect':
      return `connect ${event.local} → ${event.remote}`;
    case 'socket.accept':
      return `accept ${event.remote} → ${event.local}`;
    case 'socket.close':
      return `close ${event.channel} (${event.how})`;
    case 'rpc.call':
      return `call ${event.procedure} xid ${event.xid}${event.attempt > 1 ? `, attempt ${event.attempt}` : ''}`;
    case 'rpc.execute':
      return `execute ${event.procedure} xid ${event.xid}`;
    case 'rpc.duplicate':
      return `duplicate xid ${event.xid}: ${event.action}`;
    case 'rpc.reply':
      return shorten(`reply ${event.procedure} xid ${event.xid} = ${event.result}`);
    case 'rpc.error':
      return `${event.code}${event.procedure ? ` in ${event.procedure}` : ''}${event.xid === undefined ? '' : ` xid ${event.xid}`}`;
    case 'rpc.fault':
      return `fault ${event.fault} xid ${event.xid}`;
    case 'rpc.ledger':
      return `ledger ${event.reason}: ${event.entries.length} entries`;
    case 'measure':
      return shorten(`${event.name} = ${event.value} ${event.unit}`);
    case 'note':
      return shorten(event.text);
    case 'host.spawn':
      return `spawn ${event.program}`;
    case 'host.exit':
      return event.signal ? `killed by ${event.signal}` : `exit ${event.code ?? '?'}`;
    case 'host.output':
      return shorten(`${event.stream}: ${event.text}`);
    case 'host.warning':
      return shorten(`warning: ${event.text}`);
    case 'kernel.snapshot':
      return `${event.state}${event.wchan ? ` in ${event.wchan}` : ''}`;
    case 'kernel.objects':
      return 'kernel objects';
    case 'host.cleanup':
      return `cleanup: ${event.removed.length} removed`;
    case 'trace.rejected':
      return shorten(`trace line rejected: ${event.reason}`);
  }
}
