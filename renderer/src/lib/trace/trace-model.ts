/**
 * Turns a run's stored events into what the timeline draws: one lane per process, marks at event
 * times, arrows from each message.send to the message.receive with the same channel and messageId, and bars
 * for calls that blocked. Built incrementally as batches arrive (never re-scanning old events), and
 * deliberately not reactive: the canvas redraws from it in requestAnimationFrame.
 *
 * Times: events carry monotonic ns as decimal strings. Differences are taken in bigint against the
 * run's start, and only then turned into float milliseconds for layout (lossy, display only).
 */
import type { ProcessInfo } from '../../../../main/contract/lab-model.js';
import type { KernelFd, StoredEvent } from '../../../../main/contract/trace-events.js';

/** Calls longer than this are drawn as "blocked" bars. */
export const BLOCKED_THRESHOLD_NS = 1_000_000n;

export type MarkKind =
  | 'start'
  | 'exit'
  | 'create'
  | 'io'
  | 'send'
  | 'receive'
  | 'eof'
  | 'error'
  | 'close'
  | 'measure'
  | 'note'
  | 'output'
  | 'warning'
  | 'rejected';

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
}

export interface Bar {
  lane: number;
  t0: number;
  t1: number;
  label: string;
  /** The call had not returned when last seen. */
  open?: boolean;
}

export interface Arrow {
  fromLane: number;
  t0: number;
  toLane: number;
  t1: number;
}

export interface KernelSnapshot {
  pid: number;
  role: string;
  t: number;
  state: string;
  wchan: string;
  fds: KernelFd[];
}

interface MessageEnd {
  lane: number;
  t: number;
}

export function markKindOf(event: StoredEvent): MarkKind | null {
  switch (event.kind) {
    case 'process.start':
    case 'host.spawn':
      return 'start';
    case 'process.exit':
    case 'host.exit':
    case 'child.exit':
      return 'exit';
    case 'object.create':
      return 'create';
    case 'io.begin':
    case 'io.end':
      return 'io';
    case 'message.send':
      return 'send';
    case 'message.receive':
      return 'receive';
    case 'io.eof':
      return 'eof';
    case 'io.error':
      return 'error';
    case 'io.close':
      return 'close';
    case 'measure':
      return 'measure';
    case 'note':
      return 'note';
    case 'host.output':
      return 'output';
    case 'host.warning':
      return 'warning';
    case 'trace.rejected':
      return 'rejected';
    case 'kernel.snapshot':
      return null;
  }
}

export class TraceModel {
  readonly startNs: bigint;
  readonly lanes: Lane[] = [];
  /** Marks per lane, in arrival order. */
  readonly marks: Mark[][] = [];
  readonly bars: Bar[] = [];
  readonly arrows: Arrow[] = [];
  readonly kernel = new Map<number, KernelSnapshot>();
  /** Latest event time seen, in ms since the start (lossy). */
  endT = 0;
  /** Latest event time per lane (kernel snapshots included: they keep coming while a process blocks). */
  readonly laneEndT: number[] = [];
  readonly #laneByPid = new Map<number, number>();
  /** io.begin events still waiting for their io.end, by pid/op/channel. */
  readonly #openIo = new Map<string, { lane: number; t: number; op: string }>();
  readonly #sends = new Map<string, MessageEnd[]>();
  readonly #receives = new Map<string, MessageEnd[]>();

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
    const lane = this.#lane(event.pid, event.role);
    if (t > this.laneEndT[lane]!) this.laneEndT[lane] = t;

    if (event.kind === 'kernel.snapshot') {
      this.kernel.set(event.pid, { pid: event.pid, role: event.role, t, state: event.state, wchan: event.wchan, fds: event.fds });
      return;
    }
    const kind = markKindOf(event);
    if (kind === null) return;

    let label: string | null = null;
    switch (event.kind) {
      case 'io.error':
        // The call failed instead of returning: it is no longer blocked.
        this.#openIo.delete(`${event.pid}\u0000${event.op}\u0000${event.channel}`);
        label = event.code;
        break;
      case 'io.eof':
        this.#openIo.delete(`${event.pid}\u0000read\u0000${event.channel}`);
        label = 'EOF';
        break;
      case 'io.begin':
        this.#openIo.set(`${event.pid}\u0000${event.op}\u0000${event.channel}`, { lane, t, op: event.op });
        break;
      case 'io.end': {
        this.#openIo.delete(`${event.pid}\u0000${event.op}\u0000${event.channel}`);
        const duration = BigInt(event.durationNs);
        if (duration > BLOCKED_THRESHOLD_NS) {
          const t0 = t - Number(duration) / 1e6;
          this.bars.push({ lane, t0, t1: t, label: `blocked in ${event.op} ${formatBarDuration(duration)}` });
        }
        break;
      }
      case 'message.send':
        this.#pair(event.channel, event.messageId, { lane, t }, 'send');
        break;
      case 'message.receive':
        this.#pair(event.channel, event.messageId, { lane, t }, 'receive');
        break;
      case 'process.exit':
        label = `exit ${event.code}`;
        break;
      case 'host.exit':
        label = event.signal ?? `exit ${event.code ?? '?'}`;
        break;
    }
    this.marks[lane]!.push({ t, kind, seq: event.seq, label });
  }

  /**
   * Calls that began and have not returned: blocked right now (live), or until the process was killed.
   * Each runs to the last thing seen in its lane (or to `nowT` while the run goes on), and only counts
   * once it is longer than the threshold.
   */
  openBars(nowT: number | null = null): Bar[] {
    const bars: Bar[] = [];
    const thresholdMs = Number(BLOCKED_THRESHOLD_NS) / 1e6;
    for (const open of this.#openIo.values()) {
      const end = Math.max(this.laneEndT[open.lane] ?? open.t, nowT ?? -Infinity);
      if (end - open.t <= thresholdMs) continue;
      const ms = end - open.t;
      const text = ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`;
      bars.push({ lane: open.lane, t0: open.t, t1: end, label: `blocked in ${open.op} ${text}, not returned`, open: true });
    }
    return bars;
  }

  /**
   * Pairs a send with its receive (either may arrive first). Message ids are numbered per sender, so on
   * a two-way channel both ends have a #1: a send is only paired with a receive in another lane.
   */
  #pair(channel: string, messageId: number, end: MessageEnd, side: 'send' | 'receive'): void {
    const key = `${channel}\u0000${messageId}`;
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

function formatBarDuration(ns: bigint): string {
  const ms = Number(ns) / 1e6;
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}
