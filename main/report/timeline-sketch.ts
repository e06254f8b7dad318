/**
 * A run's timeline reduced to what a static drawing needs (TimelineSketch in
 * main/contract/report-format.ts): one lane per process, a slice per call that took time, an arrow per
 * message from its send to its receive, and marks for the moments a reader looks for (a process starting
 * and ending, end of file, errors, notes, the checks' moments).
 *
 * The meaning is the live timeline's (renderer/src/lib/trace/trace-model.ts), computed in one pass over
 * the stored events instead of incrementally:
 * - a call is an io.begin closed by the io.end or io.error of the same pid, op and channel (io.eof also
 *   closes an open read); a call that never returned runs to its process's end, or to the run's last
 *   event when the trace does not say when the process ended;
 * - a call is `blocked` when it lasted at least BLOCKED_THRESHOLD_NS, or when a kernel.snapshot of that
 *   process taken during it shows it asleep in the kernel (state S or D, with a wait channel);
 * - arrows pair message.send with the message.receive of the same channel and messageId in another lane
 *   (ids are numbered per sender, so both ends of a two-way channel have a #1), rpc.call with the
 *   rpc.execute of the same channel and xid, and a TCP client's socket.connect with the server's
 *   socket.accept of that connection (the same pair of addresses seen from each end);
 * - a process's end is the earliest event saying so (its own process.exit, the host's host.exit, or its
 *   parent's child.exit), and the signal comes from whichever event knew it.
 *
 * Small by construction: at most MAX_SLICES slices, MAX_ARROWS arrows and MAX_MARKS marks. Past that,
 * a lane's slices closer together than durationNs / MAX_SLICES are merged into one (blocked if any of
 * them was; the gap doubles until the sketch fits), arrows are thinned evenly over time, and marks are
 * thinned evenly too, starts, ends, signals, errors and checks before notes and end-of-file marks.
 * `simplified` counts what was merged away or left out.
 *
 * Times: events carry monotonic ns as decimal strings; differences from the run's start are taken in
 * bigint and only then turned into a Number (exact below 2^53 ns, 104 days).
 * Deterministic: the output depends only on the input, in the input's order.
 */
import type { RunSummary } from '../contract/lab-model.js';
import type { TimelineArrow, TimelineLane, TimelineMark, TimelineSketch, TimelineSlice } from '../contract/report-format.js';
import { parseNanos, type Nanos, type StoredEvent } from '../contract/trace-events.js';

/** Calls at least this long are blocked (the live timeline's threshold). */
export const BLOCKED_THRESHOLD_NS = 1_000_000;
export const MAX_SLICES = 1500;
export const MAX_ARROWS = 500;
export const MAX_MARKS = 500;

/** Mark kinds kept first when marks must be thinned: how processes started and ended, what failed, what the checks looked at. */
const ESSENTIAL_MARKS: ReadonlySet<TimelineMark['kind']> = new Set(['start', 'exit', 'signal', 'error', 'check']);

interface OpenCall {
  startNs: number;
  bytes: number | undefined;
}

/** A slice while it is built: how many calls it stands for, and which ops and channels. */
interface DraftSlice extends TimelineSlice {
  calls: number;
  /** How many of those calls were blocked. */
  blockedCalls: number;
  ops: string[];
  channels: string[];
}

interface ProcessEnd {
  atNs: number;
  code: number | null;
  signal: string | null;
}

interface MessageEnd {
  lane: number;
  atNs: number;
  label: string;
}

export function sketchTimeline(run: RunSummary, events: StoredEvent[]): TimelineSketch {
  const startNs: Nanos = parseNanos(run.startTs);
  const relative = (ts: string): number | null => {
    try {
      return Number(parseNanos(ts) - startNs);
    } catch {
      return null; // not a decimal string: the host validated every ts, so this cannot happen; skip rather than fail the export
    }
  };
  const ordered = [...events].sort((a, b) => a.seq - b.seq);

  const lanes: TimelineLane[] = [];
  const laneByPid = new Map<number, number>();
  const laneOf = (pid: number, role: string): number => {
    let index = laneByPid.get(pid);
    if (index === undefined) {
      index = lanes.length;
      lanes.push({ pid, role: role || (pid === 0 ? 'host' : 'process'), startNs: 0, endNs: null, exit: null });
      laneByPid.set(pid, index);
    }
    return index;
  };
  // The run summary gives lanes their roles and order, even for a process that said nothing.
  for (const p of run.processes) laneOf(p.pid, p.role);

  let durationNs = 0;
  const firstSeen = new Map<number, number>();
  const started = new Map<number, { atNs: number; program: string }>();
  const ends = new Map<number, ProcessEnd>();
  const ended = (pid: number, atNs: number, code: number | null, signal: string | null): void => {
    const known = ends.get(pid);
    if (!known) {
      ends.set(pid, { atNs, code, signal });
      return;
    }
    // Events of different processes arrive out of time order: keep the earliest time, and the signal
    // (or the code) from whichever event knew it.
    if (atNs < known.atNs) known.atNs = atNs;
    if (signal && !known.signal) known.signal = signal;
    if (known.code === null && code !== null && !known.signal) known.code = code;
  };

  // Asleep-in-the-kernel moments per pid, for "blocked" by the kernel view.
  const asleep = new Map<number, number[]>();
  const slices: DraftSlice[] = [];
  const openCalls = new Map<string, OpenCall[]>();
  const marks: TimelineMark[] = [];
  const arrows: TimelineArrow[] = [];
  const sends = new Map<string, MessageEnd[]>();
  const receives = new Map<string, MessageEnd[]>();
  const rpcCalls = new Map<string, MessageEnd[]>();
  const rpcExecutes: { key: string; end: MessageEnd }[] = [];
  const momentPid = new Map<string, number>();
  const moments = new Set(run.checks.map((c) => c.moment).filter((m): m is string => m !== null));
  // Exit marks already drawn per pid (a process's own process.exit, or the first report of a signal).
  const exitMarked = new Set<number>();
  const signalMarked = new Set<number>();
  const exitSeenByHost: { pid: number; role: string; atNs: number; code: number | null }[] = [];

  const pair = (key: string, end: MessageEnd, side: 'send' | 'receive'): void => {
    const other = side === 'send' ? receives : sends;
    const waiting = other.get(key);
    const index = waiting ? waiting.findIndex((e) => e.lane !== end.lane) : -1;
    if (waiting && index !== -1) {
      const match = waiting[index]!;
      waiting.splice(index, 1);
      if (waiting.length === 0) other.delete(key);
      const [from, to] = side === 'send' ? [end, match] : [match, end];
      arrows.push({ fromLane: from.lane, fromNs: from.atNs, toLane: to.lane, toNs: to.atNs, label: from.label });
      return;
    }
    const mine = side === 'send' ? sends : receives;
    const list = mine.get(key);
    if (list) list.push(end);
    else mine.set(key, [end]);
  };

  const closeCall = (pid: number, op: string, channel: string, lane: number, endNs: number, startHint: number | null, detail: string): void => {
    const key = `${pid}\u0000${op}\u0000${channel}`;
    const queue = openCalls.get(key);
    const open = queue?.shift();
    if (queue && queue.length === 0) openCalls.delete(key);
    const start = startHint ?? open?.startNs;
    if (start === undefined) return;
    const s = Math.min(start, endNs);
    slices.push(draft(lane, Math.max(0, s), endNs, op, channel, detail));
  };

  for (const event of ordered) {
    const at = relative(event.ts);
    if (at === null) continue;
    if (at > durationNs) durationNs = at;
    if (moments.has(event.ts) && !momentPid.has(event.ts)) momentPid.set(event.ts, event.pid);
    if (!firstSeen.has(event.pid)) firstSeen.set(event.pid, at);

    switch (event.kind) {
      case 'kernel.snapshot': {
        if (/^[SD]/.test(event.state) && event.wchan !== '' && event.wchan !== '0') {
          let list = asleep.get(event.pid);
          if (!list) asleep.set(event.pid, (list = []));
          list.push(at);
        }
        break;
      }
      case 'host.spawn':
      case 'process.start': {
        laneOf(event.pid, event.role);
        const known = started.get(event.pid);
        if (!known || at < known.atNs) started.set(event.pid, { atNs: at, program: event.program });
        break;
      }
      case 'io.begin': {
        const key = `${event.pid}\u0000${event.op}\u0000${event.channel}`;
        const queue = openCalls.get(key);
        const call = { startNs: at, bytes: event.bytes };
        if (queue) queue.push(call);
        else openCalls.set(key, [call]);
        break;
      }
      case 'io.end': {
        const lane = laneOf(event.pid, event.role);
        let duration: number;
        try {
          duration = Number(parseNanos(event.durationNs));
        } catch {
          duration = 0; // validated by the host: cannot happen; the call then starts where it ends
        }
        closeCall(
          event.pid,
          event.op,
          event.channel,
          lane,
          at,
          at - duration,
          event.op === 'read' || event.op === 'write' ? `${event.channel} ${event.bytes} B` : event.channel,
        );
        break;
      }
      case 'io.error': {
        const lane = laneOf(event.pid, event.role);
        closeCall(event.pid, event.op, event.channel, lane, at, null, `${event.channel} ${event.code}`);
        marks.push({ lane, atNs: at, kind: 'error', label: `${event.op} on ${event.channel}: ${event.code} (${event.message})` });
        break;
      }
      case 'io.eof': {
        const lane = laneOf(event.pid, event.role);
        // read() returned 0: a read still open on the channel ends here (the io.end usually came first).
        if (openCalls.has(`${event.pid}\u0000read\u0000${event.channel}`)) closeCall(event.pid, 'read', event.channel, lane, at, null, `${event.channel} EOF`);
        marks.push({ lane, atNs: at, kind: 'eof', label: `end of file on ${event.channel}` });
        break;
      }
      case 'rpc.error': {
        const lane = laneOf(event.pid, event.role);
        const call = event.procedure ? ` (${event.procedure}${event.xid !== undefined ? `, xid ${event.xid}` : ''})` : '';
        marks.push({ lane, atNs: at, kind: 'error', label: `RPC ${event.code} on ${event.channel}${call}: ${event.message}` });
        break;
      }
      case 'trace.rejected': {
        const lane = laneOf(event.pid, event.role);
        marks.push({ lane, atNs: at, kind: 'error', label: `trace line rejected: ${event.reason}` });
        break;
      }
      case 'note': {
        const lane = laneOf(event.pid, event.role);
        marks.push({ lane, atNs: at, kind: 'note', label: event.text });
        break;
      }
      case 'message.send': {
        const lane = laneOf(event.pid, event.role);
        pair(`${event.channel}\u0000${event.messageId}`, { lane, atNs: at, label: `${event.channel} #${event.messageId}, ${event.bytes} B` }, 'send');
        break;
      }
      case 'message.receive': {
        const lane = laneOf(event.pid, event.role);
        pair(`${event.channel}\u0000${event.messageId}`, { lane, atNs: at, label: '' }, 'receive');
        break;
      }
      case 'socket.connect': {
        if (event.transport !== 'tcp') break;
        const lane = laneOf(event.pid, event.role);
        pair(`\u0001tcp ${event.local} ${event.remote}`, { lane, atNs: at, label: `TCP connection ${event.local} to ${event.remote}` }, 'send');
        break;
      }
      case 'socket.accept': {
        if (event.transport !== 'tcp') break;
        const lane = laneOf(event.pid, event.role);
        pair(`\u0001tcp ${event.remote} ${event.local}`, { lane, atNs: at, label: '' }, 'receive');
        break;
      }
      case 'rpc.call': {
        const lane = laneOf(event.pid, event.role);
        const key = `${event.channel}\u0000${event.xid}`;
        const attempt = event.attempt > 1 ? `, attempt ${event.attempt}` : '';
        const end = { lane, atNs: at, label: `${event.procedure}(${event.args}), xid ${event.xid}${attempt}` };
        const list = rpcCalls.get(key);
        if (list) list.push(end);
        else rpcCalls.set(key, [end]);
        break;
      }
      case 'rpc.execute': {
        const lane = laneOf(event.pid, event.role);
        rpcExecutes.push({ key: `${event.channel}\u0000${event.xid}`, end: { lane, atNs: at, label: '' } });
        break;
      }
      case 'process.exit': {
        const lane = laneOf(event.pid, event.role);
        ended(event.pid, at, event.code, null);
        if (!exitMarked.has(event.pid)) marks.push({ lane, atNs: at, kind: 'exit', label: `exit ${event.code}` });
        exitMarked.add(event.pid);
        break;
      }
      case 'host.exit': {
        const lane = laneOf(event.pid, event.role);
        ended(event.pid, at, event.code, event.signal);
        if (event.signal) {
          if (!signalMarked.has(event.pid)) marks.push({ lane, atNs: at, kind: 'signal', label: `ended by ${event.signal}` });
          signalMarked.add(event.pid);
        } else exitSeenByHost.push({ pid: event.pid, role: event.role, atNs: at, code: event.code });
        break;
      }
      case 'child.exit': {
        ended(event.childPid, at, event.code, event.signal);
        if (event.signal) {
          const lane = laneOf(event.childPid, event.childRole);
          if (!signalMarked.has(event.childPid))
            marks.push({ lane, atNs: at, kind: 'signal', label: `ended by ${event.signal} (seen by its parent's waitpid)` });
          signalMarked.add(event.childPid);
        } else exitSeenByHost.push({ pid: event.childPid, role: event.childRole, atNs: at, code: event.code });
        break;
      }
      default:
        break;
    }
  }

  // A process that ended without saying so itself (a crash, an exit code from waitpid only): one exit mark, where it was first seen.
  for (const seen of exitSeenByHost) {
    if (exitMarked.has(seen.pid) || signalMarked.has(seen.pid)) continue;
    exitMarked.add(seen.pid);
    const end = ends.get(seen.pid);
    marks.push({ lane: laneOf(seen.pid, seen.role), atNs: end?.atNs ?? seen.atNs, kind: 'exit', label: `exit ${seen.code ?? '?'}` });
  }

  // Start marks and each lane's life.
  for (const lane of lanes) {
    const start = started.get(lane.pid);
    lane.startNs = start?.atNs ?? firstSeen.get(lane.pid) ?? 0;
    const end = ends.get(lane.pid);
    const info = run.processes.find((p) => p.pid === lane.pid);
    lane.endNs = end ? end.atNs : null;
    lane.exit = exitText(end?.signal ?? null, end?.code ?? null) ?? (info && info.state !== 'running' ? exitText(info.signal, info.exitCode) : null);
    if (start) marks.push({ lane: lanes.indexOf(lane), atNs: start.atNs, kind: 'start', label: `started ${start.program}` });
  }

  // Calls that never returned run to their process's end, or to the run's last event.
  for (const [key, queue] of openCalls) {
    const [pidText, op, channel] = key.split('\u0000') as [string, string, string];
    const pid = Number(pidText);
    const lane = laneByPid.get(pid);
    if (lane === undefined) continue;
    const end = ends.get(pid);
    for (const open of queue) {
      const endNs = end && end.atNs >= open.startNs ? end.atNs : durationNs;
      const how =
        end && end.atNs >= open.startNs
          ? end.signal
            ? `never returned: ended by ${end.signal}`
            : 'never returned: the process exited'
          : 'not returned when the trace ends';
      const bytes = open.bytes !== undefined && (op === 'read' || op === 'write') ? ` ${open.bytes} B` : '';
      slices.push(draft(lane, open.startNs, endNs, op, channel, `${channel}${bytes}, ${how}`));
    }
  }

  // Blocked: long enough, or seen asleep in the kernel during the call.
  for (const list of asleep.values()) list.sort((a, b) => a - b);
  for (const slice of slices) {
    if (slice.endNs - slice.startNs >= BLOCKED_THRESHOLD_NS) slice.blocked = true;
    else {
      const list = asleep.get(lanes[slice.lane]!.pid);
      if (list && anyWithin(list, slice.startNs, slice.endNs)) slice.blocked = true;
    }
    if (slice.blocked) slice.blockedCalls = 1;
  }

  // RPC arrows: each execute from the latest call of that xid made before it (a retry, after a lost message), else the first one.
  for (const { key, end } of rpcExecutes) {
    const calls = (rpcCalls.get(key) ?? []).filter((c) => c.lane !== end.lane);
    if (calls.length === 0) continue;
    let from = calls[0]!;
    for (const c of calls) if (c.atNs <= end.atNs) from = c;
    arrows.push({ fromLane: from.lane, fromNs: from.atNs, toLane: end.lane, toNs: end.atNs, label: `RPC ${from.label}` });
  }

  // The checks' moments, in the lane of the event at that moment.
  for (const check of run.checks) {
    if (check.moment === null || lanes.length === 0) continue;
    const at = relative(check.moment);
    if (at === null) continue;
    const pid = momentPid.get(check.moment);
    const lane = pid !== undefined && laneByPid.has(pid) ? laneByPid.get(pid)! : 0;
    marks.push({ lane, atNs: Math.max(0, at), kind: 'check', label: `check ${check.passed ? 'passed' : 'failed'}: ${check.title}` });
  }

  const byTime = <T>(time: (x: T) => number, lane: (x: T) => number) => {
    return (a: T, b: T) => time(a) - time(b) || lane(a) - lane(b);
  };
  slices.sort((a, b) => a.lane - b.lane || a.startNs - b.startNs || a.endNs - b.endNs);
  arrows.sort(
    byTime<TimelineArrow>(
      (a) => a.fromNs,
      (a) => a.fromLane,
    ),
  );
  marks.sort(
    byTime<TimelineMark>(
      (m) => m.atNs,
      (m) => m.lane,
    ),
  );

  let simplified = 0;
  const fitted = fitSlices(slices, durationNs, lanes.length);
  simplified += slices.length - fitted.length;
  const keptArrows = thinEvenly(arrows, MAX_ARROWS);
  simplified += arrows.length - keptArrows.length;
  const keptMarks = thinMarks(marks);
  simplified += marks.length - keptMarks.length;

  return {
    durationNs,
    lanes,
    slices: fitted.map(finish),
    arrows: keptArrows,
    marks: keptMarks,
    simplified,
  };
}

function draft(lane: number, startNs: number, endNs: number, op: string, channel: string, label: string): DraftSlice {
  return { lane, startNs, endNs, op, blocked: false, label, calls: 1, blockedCalls: 0, ops: [op], channels: [channel] };
}

function finish(slice: DraftSlice): TimelineSlice {
  if (slice.calls === 1) return { lane: slice.lane, startNs: slice.startNs, endNs: slice.endNs, op: slice.op, blocked: slice.blocked, label: slice.label };
  const op = slice.ops.length === 1 ? slice.ops[0]! : slice.ops.join('/');
  const blocked = slice.blockedCalls > 0 ? `, ${slice.blockedCalls} of them blocked` : '';
  const label = `${slice.calls} calls merged (${slice.ops.join(', ')} on ${slice.channels.join(', ')})${blocked}`;
  return { lane: slice.lane, startNs: slice.startNs, endNs: slice.endNs, op, blocked: slice.blocked, label };
}

export function exitText(signal: string | null, code: number | null): string | null {
  if (signal) return signal;
  if (code !== null) return `exit ${code}`;
  return null;
}

/** Whether a sorted list holds a value in [from, to]. */
function anyWithin(sorted: readonly number[], from: number, to: number): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && sorted[lo]! <= to;
}

/**
 * Merges neighbouring slices of each lane (sorted by lane, then start) until at most MAX_SLICES are
 * left: first those closer than durationNs / MAX_SLICES, then twice that, and so on. Only when a gap as
 * long as the whole run still leaves too many (more lanes than MAX_SLICES) are slices left out.
 */
function fitSlices(slices: DraftSlice[], durationNs: number, laneCount: number): DraftSlice[] {
  if (slices.length <= MAX_SLICES) return slices;
  let gap = Math.max(1, durationNs / MAX_SLICES);
  let current = slices;
  while (current.length > MAX_SLICES && laneCount <= MAX_SLICES) {
    current = mergeCloserThan(current, gap);
    if (gap > durationNs) break;
    gap *= 2;
  }
  return current.length > MAX_SLICES ? thinEvenly(current, MAX_SLICES) : current;
}

function mergeCloserThan(slices: readonly DraftSlice[], gap: number): DraftSlice[] {
  const result: DraftSlice[] = [];
  for (const next of slices) {
    const last = result[result.length - 1];
    if (last && last.lane === next.lane && next.startNs - last.endNs < gap) {
      result[result.length - 1] = {
        ...last,
        endNs: Math.max(last.endNs, next.endNs),
        blocked: last.blocked || next.blocked,
        calls: last.calls + next.calls,
        blockedCalls: last.blockedCalls + next.blockedCalls,
        ops: union(last.ops, next.ops),
        channels: union(last.channels, next.channels),
      };
    } else result.push(next);
  }
  return result;
}

function union(a: readonly string[], b: readonly string[]): string[] {
  const out = [...a];
  for (const x of b) if (!out.includes(x)) out.push(x);
  return out;
}

/** `limit` items spread evenly over the list (the first is always kept), in the list's order. */
export function thinEvenly<T>(items: readonly T[], limit: number): T[] {
  if (items.length <= limit) return [...items];
  if (limit <= 0) return [];
  const kept: T[] = [];
  for (let i = 0; i < limit; i++) kept.push(items[Math.floor((i * items.length) / limit)]!);
  return kept;
}

/** Marks thinned to MAX_MARKS: the essential kinds first (evenly, if even they are too many), then the rest evenly in what is left. */
function thinMarks(marks: readonly TimelineMark[]): TimelineMark[] {
  if (marks.length <= MAX_MARKS) return [...marks];
  const essential = marks.filter((m) => ESSENTIAL_MARKS.has(m.kind));
  const others = marks.filter((m) => !ESSENTIAL_MARKS.has(m.kind));
  const keptEssential = thinEvenly(essential, MAX_MARKS);
  const keptOthers = thinEvenly(others, MAX_MARKS - keptEssential.length);
  const kept = new Set<TimelineMark>([...keptEssential, ...keptOthers]);
  return marks.filter((m) => kept.has(m));
}
