/**
 * Turns a run's stored events into what the timeline draws: one lane per process, marks at event
 * times, arrows from each message.send to the message.receive with the same channel and messageId (and
 * from a TCP client's socket.connect to the server's socket.accept of that connection, and for each
 * RPC from the call to where the server took it and from its reply to where the client got it, as
 * main/contract/trace-arrows.ts pairs them), bars
 * for calls that blocked, and one occupancy track per bounded buffer (buffer.level). It also keeps every
 * kernel snapshot per process (the engine records only changes, so they are few), so the kernel view
 * can show any moment of the run, not just the last one, and when each process ended (its own
 * process.exit, the host's host.exit, or the child.exit its parent saw), so that a process that is gone
 * is shown as gone, never as it last looked in /proc. Built incrementally as batches arrive (never
 * re-scanning old events), and deliberately not reactive: the canvas redraws from it in
 * requestAnimationFrame.
 *
 * Times: events carry monotonic ns as decimal strings. Differences are taken in bigint against the
 * run's start, and only then turned into float milliseconds for layout (lossy, display only).
 */
import type { ProcessInfo } from '../../../../main/contract/lab-model.js';
import type { KernelFd, KernelMapping, StoredEvent } from '../../../../main/contract/trace-events.js';
import { BLOCKED_THRESHOLD_NS, markKindOf as markKindOfKind, type MarkKind } from '../../../../main/contract/trace-marks.js';
import { RpcArrowPairing } from '../../../../main/contract/trace-arrows.js';

// What each event kind is drawn as, and when a call counts as blocked: one table, shared with the
// engine's window summaries (main/engine/trace-window.ts), so both agree on what a mark is.
export { BLOCKED_THRESHOLD_NS, type MarkKind };

export interface Lane {
  pid: number;
  role: string;
  index: number;
}

export interface Mark {
  /** Milliseconds since the run started (lossy). */
  t: number;
  kind: MarkKind;
  seq: number;
  label: string | null;
  /** A summarised mark (window-scene.ts): how many marks of its kind the bucket [t0, t1) ms holds; seq is then 0. */
  count?: number;
  bucket?: { t0: number; t1: number };
}

export interface Bar {
  lane: number;
  t0: number;
  t1: number;
  label: string;
  /** What to write when the label does not fit: the duration. */
  short: string;
  /** The call had not returned when last seen. */
  open?: boolean;
  /** The call never returned: its process ended inside it (the bar runs to that end). */
  endedBy?: ProcessEnd;
  /** The call's op and channel, for a bar of a call that had not returned. */
  op?: string;
  channel?: string;
}

/**
 * How and when a process ended, from the first event that says so: process.exit (the process is about
 * to exit normally), host.exit (the host's waitpid) or child.exit (its parent's waitpid). A process
 * killed by a signal never says process.exit; whoever reaped it names the signal.
 */
export interface ProcessEnd {
  pid: number;
  /** Milliseconds since the run started (lossy). */
  t: number;
  /** The trace ts of that event. */
  ts: string;
  code: number | null;
  signal: string | null;
  seenIn: 'process.exit' | 'host.exit' | 'child.exit';
}

/**
 * One process as the kernel view shows it at a moment: alive with its latest snapshot, or ended (then
 * `end` says how and when, and `snapshot` is the last one taken before, for reference only).
 */
export interface ProcessAt {
  pid: number;
  role: string;
  snapshot: KernelSnapshot | null;
  end: ProcessEnd | null;
  /** Ended, though no event said when: the run is over and its processes with it (from the run summary). */
  endedWithRun?: { code: number | null; signal: string | null };
}

/** What a lane's header says about its process: how it ended, and the calls it never returned from. */
export interface LaneSummary {
  pid: number;
  end: ProcessEnd | null;
  unreturned: Bar[];
}

export interface Arrow {
  fromLane: number;
  t0: number;
  toLane: number;
  t1: number;
  /** A summarised arrow (window-scene.ts): how many messages between these lanes it stands for. */
  count?: number;
}

export interface KernelSnapshot {
  pid: number;
  role: string;
  t: number;
  state: string;
  wchan: string;
  fds: KernelFd[];
  /** Shared-memory mappings (files in /dev/shm); empty when it has none. */
  maps: KernelMapping[];
}

/** The run's /dev/shm entries at one moment (kernel.objects). */
export interface ShmObjects {
  t: number;
  shm: { path: string; bytes: number }[];
  /** Message queues in /dev/mqueue; `status` is the file's text ("QSIZE:12 ..."). */
  mqueue: { path: string; status: string }[];
  /** FIFOs in the run's directory. */
  fifo: { path: string }[];
  /** Unix socket files in the run's directory. */
  socket: { path: string }[];
}

/** What the host removed at the end of the run (host.cleanup). */
export interface Cleanup {
  t: number;
  removed: string[];
}

/** One bounded (or unbounded) buffer's occupancy over time, from its buffer.level events. */
export interface OccupancyTrack {
  channel: string;
  index: number;
  /** Times (ms since the start, lossy) and levels, in time order. */
  times: number[];
  used: number[];
  /** The latest capacity reported; null: unbounded. */
  capacity: number | null;
  /** The highest level seen: the scale of an unbounded buffer. */
  maxUsed: number;
}

interface MessageEnd {
  lane: number;
  t: number;
}

export function markKindOf(event: StoredEvent): MarkKind | null {
  return markKindOfKind(event.kind, 'signal' in event ? event.signal : undefined);
}

/**
 * A call that blocked from t0 to t1 (ms since the start), as the timeline labels it: "blocked in read
 * 12.3 ms", or with the errno it failed with at the end ("…, then ETIMEDOUT"). The page's model and the
 * windowed scene (window-scene.ts) both make their bars here.
 */
export function blockedBar(lane: number, t0: number, t1: number, op: string, channel: string, code: string | null): Bar {
  const text = formatBarMs(t1 - t0);
  return code === null
    ? { lane, t0, t1, label: `${blockedLabel(op, channel)} ${text}`, short: text }
    : { lane, t0, t1, label: `${blockedLabel(op, channel)} ${text}, then ${code}`, short: `${text}, ${code}` };
}

/** "blocked in write" or, for a synchronisation object, "blocked in wait (buffer: empty slots)". */
function blockedLabel(op: string, channel: string): string {
  return op === 'wait' ? `blocked in wait (${channel})` : `blocked in ${op}`;
}

export class TraceModel {
  readonly startNs: bigint;
  readonly lanes: Lane[] = [];
  /** Marks per lane, in arrival order. */
  readonly marks: Mark[][] = [];
  readonly bars: Bar[] = [];
  readonly arrows: Arrow[] = [];
  /** The latest snapshot per pid. */
  readonly kernel = new Map<number, KernelSnapshot>();
  /** Every snapshot per pid, in time order. */
  readonly kernelHistory = new Map<number, KernelSnapshot[]>();
  /** Every kernel.objects, in time order. */
  readonly shmObjects: ShmObjects[] = [];
  readonly cleanups: Cleanup[] = [];
  /** Occupancy tracks, in the order their buffers first reported. */
  readonly occupancy: OccupancyTrack[] = [];
  readonly #occupancyByChannel = new Map<string, OccupancyTrack>();
  /** Latest event time seen, in ms since the start (lossy). */
  endT = 0;
  /**
   * The run is over (set by whoever shows it): a call no event closed and whose process's end no event
   * recorded is drawn to the end of the run, when that process was ended with it at the latest.
   */
  runEnded = false;
  /** Latest event time per lane (kernel snapshots included: they keep coming while a process blocks). */
  readonly laneEndT: number[] = [];
  readonly #laneByPid = new Map<number, number>();
  /** How each process ended, by pid: the earliest event saying so (a later one may add the signal). */
  readonly ends = new Map<number, ProcessEnd>();
  /** Pids whose own lane has a mark for their end already. */
  readonly #endMarked = new Set<number>();
  /** io.begin events still waiting for their io.end, by pid/op/channel. */
  readonly #openIo = new Map<string, { lane: number; t: number; op: string; channel: string }>();
  readonly #sends = new Map<string, MessageEnd[]>();
  readonly #receives = new Map<string, MessageEnd[]>();
  readonly #rpc = new RpcArrowPairing<MessageEnd>();

  constructor(startTs: string) {
    this.startNs = BigInt(startTs);
  }

  /** Milliseconds since the run started, for layout (lossy). */
  relativeMillisLossy(ts: string): number {
    return Number(BigInt(ts) - this.startNs) / 1e6;
  }

  /** Processes from the run summary give lanes their roles, even before they say anything. */
  addProcesses(processes: readonly ProcessInfo[]): void {
    for (const p of processes) {
      const index = this.#lane(p.pid, p.role);
      const lane = this.lanes[index]!;
      if (lane.role !== p.role && p.role) lane.role = p.role;
    }
  }

  append(events: readonly StoredEvent[]): void {
    for (const event of events) this.#add(event);
  }

  /**
   * An event the model is not given (a windowed view keeps only some kinds, run-view.svelte.ts): the
   * run got this far, so the timeline's end and the cursor's range reach it.
   */
  seen(event: StoredEvent): void {
    try {
      const t = this.relativeMillisLossy(event.ts);
      if (t > this.endT) this.endT = t;
    } catch {
      // not a decimal ts: nothing to learn from it
    }
  }

  #lane(pid: number, role: string): number {
    let index = this.#laneByPid.get(pid);
    if (index === undefined) {
      index = this.lanes.length;
      this.lanes.push({ pid, role: role || (pid === 0 ? 'host' : 'process'), index });
      this.marks.push([]);
      this.laneEndT.push(0);
      this.#laneByPid.set(pid, index);
    }
    return index;
  }

  #add(event: StoredEvent): void {
    let t: number;
    try {
      t = this.relativeMillisLossy(event.ts);
    } catch {
      return; // not a decimal string: the host validated it, so this cannot happen; skip rather than crash the view
    }
    if (t > this.endT) this.endT = t;
    // The host's own bookkeeping (pid 0) gets no lane of its own.
    if (event.kind === 'kernel.objects') {
      insertByTime(this.shmObjects, { t, shm: event.shm, mqueue: event.mqueue ?? [], fifo: event.fifo ?? [], socket: event.socket ?? [] });
      return;
    }
    if (event.kind === 'host.cleanup') {
      insertByTime(this.cleanups, { t, removed: event.removed });
      return;
    }
    const lane = this.#lane(event.pid, event.role);
    if (t > this.laneEndT[lane]!) this.laneEndT[lane] = t;

    if (event.kind === 'kernel.snapshot') {
      const snapshot: KernelSnapshot = {
        pid: event.pid,
        role: event.role,
        t,
        state: event.state,
        wchan: event.wchan,
        fds: event.fds,
        maps: event.maps ?? [],
      };
      let history = this.kernelHistory.get(event.pid);
      if (!history) this.kernelHistory.set(event.pid, (history = []));
      insertByTime(history, snapshot);
      this.kernel.set(event.pid, history[history.length - 1]!);
      return;
    }
    if (event.kind === 'buffer.level') {
      this.#level(event.channel, t, event.used, event.capacity);
      return;
    }
    const kind = markKindOf(event);
    if (kind === null) return;

    let label: string | null = null;
    switch (event.kind) {
      case 'io.error': {
        // The call failed instead of returning (a wait that timed out, a write into a closed pipe): it
        // is no longer blocked. If it had waited long, the wait is a bar ending in the error's mark.
        const key = `${event.pid}\u0000${event.op}\u0000${event.channel}`;
        const open = this.#openIo.get(key);
        this.#openIo.delete(key);
        if (open && t - open.t > BLOCKED_THRESHOLD_MS) this.bars.push(blockedBar(lane, open.t, t, event.op, event.channel, event.code));
        label = event.code;
        break;
      }
      case 'io.eof':
        this.#openIo.delete(`${event.pid}\u0000read\u0000${event.channel}`);
        label = 'EOF';
        break;
      case 'io.begin':
        this.#openIo.set(`${event.pid}\u0000${event.op}\u0000${event.channel}`, { lane, t, op: event.op, channel: event.channel });
        break;
      case 'io.end': {
        this.#openIo.delete(`${event.pid}\u0000${event.op}\u0000${event.channel}`);
        const duration = BigInt(event.durationNs);
        if (duration > BLOCKED_THRESHOLD_NS) this.bars.push(blockedBar(lane, t - Number(duration) / 1e6, t, event.op, event.channel, null));
        break;
      }
      case 'message.send':
        this.#pair(`${event.channel}\u0000${event.messageId}`, { lane, t }, 'send');
        break;
      case 'message.receive':
        this.#pair(`${event.channel}\u0000${event.messageId}`, { lane, t }, 'receive');
        break;
      // A TCP connection drawn as an arrow from the client's connect to the server's accept: the same
      // pair of addresses seen from each end (a client's ephemeral port makes the pair unique). Unix
      // clients are unnamed, so their connections cannot be told apart this way and get no arrow.
      case 'socket.connect':
        if (event.transport === 'tcp') this.#pair(`\u0001tcp ${event.local} ${event.remote}`, { lane, t }, 'send');
        break;
      case 'socket.accept':
        if (event.transport === 'tcp') this.#pair(`\u0001tcp ${event.remote} ${event.local}`, { lane, t }, 'receive');
        break;
      // An RPC's call and reply: main/contract/trace-arrows.ts says which events are their ends (by ts, exact).
      case 'rpc.call':
      case 'rpc.execute':
      case 'rpc.duplicate':
      case 'rpc.error':
      case 'rpc.fault':
      case 'rpc.reply':
        this.#rpcEnd(event, lane, t);
        break;
      case 'process.exit':
        label = `exit ${event.code}`;
        this.#ended(event.pid, t, event.ts, event.code, null, 'process.exit');
        this.#endMarked.add(event.pid);
        break;
      case 'host.exit':
        label = event.signal ?? `exit ${event.code ?? '?'}`;
        this.#ended(event.pid, t, event.ts, event.code, event.signal, 'host.exit');
        this.#endMarked.add(event.pid);
        break;
      case 'child.exit': {
        // The parent's lane: its waitpid returned. The child's own lane: how it ended, unless it said so itself.
        label = `waitpid: ${event.childRole} ${event.signal ?? `exit ${event.code ?? '?'}`}`;
        this.#ended(event.childPid, t, event.ts, event.code, event.signal, 'child.exit');
        if (event.signal || !this.#endMarked.has(event.childPid)) {
          this.#endMarked.add(event.childPid);
          const childLane = this.#lane(event.childPid, event.childRole);
          if (t > this.laneEndT[childLane]!) this.laneEndT[childLane] = t;
          this.marks[childLane]!.push({ t, kind: event.signal ? 'killed' : 'exit', seq: event.seq, label: event.signal ?? `exit ${event.code ?? '?'}` });
        }
        break;
      }
    }
    this.marks[lane]!.push({ t, kind, seq: event.seq, label });
  }

  #rpcEnd(event: StoredEvent, lane: number, t: number): void {
    const fields = event as unknown as Record<string, unknown>;
    for (const a of this.#rpc.add({ kind: event.kind, pid: event.pid, ts: BigInt(event.ts), seq: event.seq, fields }, { lane, t }))
      this.arrows.push({ fromLane: a.from.lane, t0: a.from.t, toLane: a.to.lane, t1: a.to.t });
  }

  #ended(pid: number, t: number, ts: string, code: number | null, signal: string | null, seenIn: ProcessEnd['seenIn']): void {
    const known = this.ends.get(pid);
    if (!known) {
      this.ends.set(pid, { pid, t, ts, code, signal, seenIn });
      return;
    }
    // Events of different processes arrive out of time order: keep the earliest time, and the signal
    // (or the code) from whichever event knew it.
    if (t < known.t) Object.assign(known, { t, ts, seenIn });
    if (signal && !known.signal) known.signal = signal;
    if (known.code === null && code !== null && !known.signal) known.code = code;
  }

  /**
   * Calls that began and have not returned: blocked right now (live), or until the process ended.
   * A call still open when its process ended (killed by a signal, say) runs to that end; otherwise it
   * runs to the last thing seen in its lane (or to `nowT` while the run goes on, or to the run's last
   * event once it is over). Each only counts once
   * it is longer than the threshold.
   */
  openBars(nowT: number | null = null): Bar[] {
    const bars: Bar[] = [];
    for (const open of this.#openIo.values()) {
      const pid = this.lanes[open.lane]!.pid;
      const end = this.ends.get(pid);
      const what = blockedLabel(open.op, open.channel);
      if (end && end.t >= open.t) {
        const ms = end.t - open.t;
        if (ms <= BLOCKED_THRESHOLD_MS) continue;
        const text = formatBarMs(ms);
        const how = end.signal ? `killed by ${end.signal}` : `it exited (code ${end.code ?? '?'})`;
        bars.push({
          lane: open.lane,
          t0: open.t,
          t1: end.t,
          label: `${what} ${text}, never returned: ${how}`,
          short: `${text}, ${end.signal ?? 'exit'}`,
          endedBy: end,
          op: open.op,
          channel: open.channel,
        });
        continue;
      }
      const last = Math.max(this.laneEndT[open.lane] ?? open.t, nowT ?? -Infinity, this.runEnded ? this.endT : -Infinity);
      if (last - open.t <= BLOCKED_THRESHOLD_MS) continue;
      const text = formatBarMs(last - open.t);
      const label = `${what} ${text}, ${this.runEnded ? 'not returned when the run ended' : 'not returned'}`;
      bars.push({ lane: open.lane, t0: open.t, t1: last, label, short: `${text}…`, open: true, op: open.op, channel: open.channel });
    }
    return bars;
  }

  /** Per lane: how its process ended (if it did) and the calls it never returned from. */
  laneSummaries(nowT: number | null = null): LaneSummary[] {
    const open = this.openBars(nowT);
    return this.lanes.map((lane) => ({
      pid: lane.pid,
      end: this.ends.get(lane.pid) ?? null,
      unreturned: open.filter((bar) => bar.lane === lane.index),
    }));
  }

  /**
   * Every known process at time `t` (ms since the start; null: the latest), as the kernel view shows it:
   * ended if it had ended at or before `t`, else with its latest snapshot at or before `t`. Processes
   * neither seen in /proc nor ended by then are left out. `runEnded`: the run is over, so in the latest
   * view a process with no recorded end is gone too (its state from the run summary, if known).
   */
  processesAt(t: number | null, runEnded = false, summary: readonly ProcessInfo[] = []): ProcessAt[] {
    const result: ProcessAt[] = [];
    for (const lane of this.lanes) {
      const history = this.kernelHistory.get(lane.pid) ?? [];
      const snapshot = t === null ? (history[history.length - 1] ?? null) : latestAtOrBefore(history, t);
      const known = this.ends.get(lane.pid);
      const end = known && (t === null || known.t <= t) ? known : null;
      if (end) result.push({ pid: lane.pid, role: lane.role, snapshot, end });
      else if (t === null && runEnded && lane.pid !== 0) {
        const info = summary.find((p) => p.pid === lane.pid);
        result.push({ pid: lane.pid, role: lane.role, snapshot, end: null, endedWithRun: { code: info?.exitCode ?? null, signal: info?.signal ?? null } });
      } else if (snapshot) result.push({ pid: lane.pid, role: lane.role, snapshot, end: null });
    }
    return result.sort((a, b) => a.pid - b.pid);
  }

  /** The run's /dev/shm entries at time `t` (null: the latest), or null before the first report. */
  shmObjectsAt(t: number | null): ShmObjects | null {
    if (t === null) return this.shmObjects[this.shmObjects.length - 1] ?? null;
    return latestAtOrBefore(this.shmObjects, t);
  }

  /** What the host removed at or before `t` (null: at any time). */
  cleanupsUntil(t: number | null): Cleanup[] {
    return t === null ? [...this.cleanups] : this.cleanups.filter((c) => c.t <= t);
  }

  /** Times at which some process's kernel view changed (a snapshot, an object, an end), sorted, without duplicates. */
  kernelChangeTimes(): number[] {
    const times = new Set<number>();
    for (const history of this.kernelHistory.values()) for (const s of history) times.add(s.t);
    for (const o of this.shmObjects) times.add(o.t);
    for (const c of this.cleanups) times.add(c.t);
    for (const end of this.ends.values()) times.add(end.t); // the process is gone from the view from then on
    return [...times].sort((a, b) => a - b);
  }

  #level(channel: string, t: number, used: number, capacity: number | null): void {
    let track = this.#occupancyByChannel.get(channel);
    if (!track) {
      track = { channel, index: this.occupancy.length, times: [], used: [], capacity, maxUsed: 0 };
      this.occupancy.push(track);
      this.#occupancyByChannel.set(channel, track);
    }
    // Levels from two processes may arrive out of time order: keep the arrays sorted (appending is the
    // common case; an insert only happens when batches from different processes interleave).
    let i = track.times.length;
    while (i > 0 && track.times[i - 1]! > t) i--;
    if (i === track.times.length) {
      track.times.push(t);
      track.used.push(used);
      track.capacity = capacity;
    } else {
      track.times.splice(i, 0, t);
      track.used.splice(i, 0, used);
    }
    if (used > track.maxUsed) track.maxUsed = used;
  }

  /**
   * Pairs a send with its receive (either may arrive first), both named by `key`. Message ids are
   * numbered per sender, so on a two-way channel both ends have a #1: a send is only paired with a
   * receive in another lane.
   */
  #pair(key: string, end: MessageEnd, side: 'send' | 'receive'): void {
    const other = side === 'send' ? this.#receives : this.#sends;
    const waiting = other.get(key);
    const index = waiting ? waiting.findIndex((e) => e.lane !== end.lane) : -1;
    if (waiting && index !== -1) {
      const match = waiting[index]!;
      waiting.splice(index, 1);
      if (waiting.length === 0) other.delete(key);
      const [from, to] = side === 'send' ? [end, match] : [match, end];
      this.arrows.push({ fromLane: from.lane, t0: from.t, toLane: to.lane, t1: to.t });
      return;
    }
    const mine = side === 'send' ? this.#sends : this.#receives;
    const list = mine.get(key);
    if (list) list.push(end);
    else mine.set(key, [end]);
  }
}

const BLOCKED_THRESHOLD_MS = Number(BLOCKED_THRESHOLD_NS) / 1e6;

function formatBarMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}

/** Appends, or inserts in time order when an item arrives late (events of different processes interleave). */
function insertByTime<T extends { t: number }>(list: T[], item: T): void {
  let i = list.length;
  while (i > 0 && list[i - 1]!.t > item.t) i--;
  list.splice(i, 0, item);
}

/** The last item with `t` at or before the given time, by binary search, or null. */
function latestAtOrBefore<T extends { t: number }>(list: readonly T[], t: number): T | null {
  let lo = 0;
  let hi = list.length - 1;
  let found: T | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.t <= t) {
      found = list[mid]!;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Index of the last time at or before `t` in a sorted array, or -1. */
export function indexAtOrBefore(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
