/**
 * Windowed trace queries (issue 13): what the timeline draws of a time window, at a pixel width,
 * without reading the whole trace.
 *
 * How: as each batch of events is stored (EventStore.insertEvents, same transaction), `add` derives
 * what the timeline draws and keeps it in tables of its own (migration 5 in event-store.ts):
 * - trace_lanes: one row per process, in order of first appearance;
 * - trace_marks: per run, per level, per bucket of 2^(18+2·level) ns from the run's start, per lane and
 *   mark kind, how many marks (levels 0..11: 262 µs to 18 minutes, each 4x the last);
 * - trace_bars: every call that blocked longer than BLOCKED_THRESHOLD_NS (an io.end's durationNs, or an
 *   io.begin closed by an io.error), with its op, channel and errno;
 * - trace_arrows: every message.send paired with its message.receive (same channel and messageId, in
 *   another lane), every TCP socket.connect with its socket.accept, and every RPC call and reply
 *   (main/contract/trace-arrows.ts; message_id is the xid); trace_arrow_buckets counts them per level,
 *   bucket (of the send) and pair of lanes;
 * - trace_levels and trace_level_buckets: each buffer.level, and per level and bucket its min and max.
 * Pairing follows renderer/src/lib/trace/trace-model.ts: in the order events are stored, an end waits
 * until its partner from another lane comes. The pairing state lives in memory for the run being stored
 * (a run never goes on in another engine), and is dropped when the run ends.
 *
 * A window [fromNs, toNs) at `width` pixels is answered from the coarsest level whose buckets are no
 * wider than a pixel, summed into buckets of 1 to 2 pixels aligned to the run's start; a window finer
 * than the finest level (a pixel under 262 µs: a window under ~0.3 to 1.3 s) is counted from the
 * events themselves, through the events_by_time index. Each series (a lane, the arrows, an occupancy
 * track) gets an equal share of TRACE_WINDOW_MAX_ITEMS: it comes raw when its items fit in that share,
 * else as buckets, which always fit. So no answer exceeds the bound, whatever the run.
 *
 * Blocked bars are read from trace_bars for the window: each one is at least a millisecond of one
 * process's time, so a lane holds about one per millisecond at most (and a run at most RUN_EVENT_BUDGET).
 */
import type Database from 'better-sqlite3';
import {
  TRACE_WINDOW_MAX_ITEMS,
  type TraceArrowBucket,
  type TraceLaneBucket,
  type TraceWindow,
  type TraceWindowArrow,
  type TraceWindowBar,
  type TraceWindowLane,
  type TraceWindowMark,
  type TraceWindowTrack,
} from '../contract/commands.js';
import { UserError } from '../contract/errors.js';
import { BLOCKED_THRESHOLD_NS, LANELESS_KINDS, MARK_KINDS, markKindOf, UNMARKED_KINDS, type MarkKind } from '../contract/trace-marks.js';
import type { StoredEvent } from '../contract/trace-events.js';
import { RpcArrowPairing } from '../contract/trace-arrows.js';

/** How many summary levels are stored; level k has buckets of levelWidthNs(k). */
export const SUMMARY_LEVELS = 12;
/** Each level's buckets are this many of the level below. */
const LEVEL_STEP = 4;
/** The finest level's bucket width: 2^18 ns, 262 µs. */
const FINEST_NS = 2 ** 18;

/** Level k's bucket width: 2^(18+2k) ns, from 262 µs (k = 0) to 2^40 ns, about 18 minutes (k = 11). */
export function levelWidthNs(level: number): number {
  return FINEST_NS * LEVEL_STEP ** level;
}

/** Arrow counts are keyed by fromSlot * LANE_KEY + toSlot within a bucket (see add). */
const LANE_KEY = 2 ** 26;
const MARK_INDEX = new Map<MarkKind, number>(MARK_KINDS.map((kind, i) => [kind, i]));
const sum = (a: unknown[], b: unknown[]) => [(a[a.length - 1] as number) + (b[b.length - 1] as number)];

/** An event as the store receives it (EventStore's EventRow). */
export interface SummaryRow {
  seq: number;
  ts: string;
  pid: number;
  kind: string;
  data: string;
}

/** One end of a message (or TCP connection) waiting for its partner. */
interface MessageEnd {
  pid: number;
  ts: bigint;
  seq: number;
  channel: string;
  messageId: number | null;
}

/** What `add` remembers of the run being stored, between batches. */
interface RunState {
  startNs: bigint;
  /** Lane slots by pid, and pids by slot (a lane's slot is its order of appearance). */
  slots: Map<number, number>;
  pids: number[];
  /** io.begin still waiting for its io.end or io.error, by pid, op and channel: its ts. */
  openIo: Map<string, bigint>;
  sends: Map<string, MessageEnd[]>;
  receives: Map<string, MessageEnd[]>;
  /** RPC calls and replies waiting for their other end (messageId: the xid). */
  rpc: RpcArrowPairing<MessageEnd>;
}

type Fields = Record<string, unknown>;

const SEP = '\u0000';

export class TraceIndex {
  private readonly runs = new Map<number, RunState>();
  private readonly sql: ReturnType<typeof prepare>;

  constructor(private readonly db: Database.Database) {
    this.sql = prepare(db);
  }

  /**
   * Derives the summaries of a batch of a run's events; call inside the transaction that stores them.
   * Counts are gathered at the finest level first, per bucket under numeric keys (lane slot, mark), and
   * summed into the coarser levels from there: the cost per event is one map update, whatever the levels.
   */
  add(runId: number, rows: readonly SummaryRow[]): void {
    const state = this.stateOf(runId);
    const sql = this.sql;
    /** Finest-level counts: bucket -> slot * MARK_KINDS.length + mark -> count. */
    const marks = new Map<number, Map<number, number>>();
    /** Finest-level arrow counts: bucket -> fromSlot * LANE_KEY + toSlot -> count. */
    const arrowCounts = new Map<number, Map<number, number>>();
    /** Finest-level occupancy per channel: bucket -> [min, max]. */
    const levelRanges = new Map<string, Map<number, [number, number]>>();
    const capacities = new Map<string, { seq: number; capacity: number | null }>();
    const arrow = (from: MessageEnd, to: MessageEnd) => {
      sql.insertArrow.add(runId, from.seq, from.pid, from.ts, to.seq, to.pid, to.ts, from.channel, from.messageId);
      const bucket = Math.floor(Number(from.ts - state.startNs) / FINEST_NS);
      bump(arrowCounts, bucket, this.slotOf(state, from.pid) * LANE_KEY + this.slotOf(state, to.pid));
    };
    const pair = (key: string, end: MessageEnd, side: 'send' | 'receive') => {
      const others = side === 'send' ? state.receives : state.sends;
      const waiting = others.get(key);
      const index = waiting ? waiting.findIndex((e) => e.pid !== end.pid) : -1;
      if (waiting && index !== -1) {
        const match = waiting.splice(index, 1)[0]!;
        if (waiting.length === 0) others.delete(key);
        const [from, to] = side === 'send' ? [end, match] : [match, end];
        arrow(from, to);
        return;
      }
      const mine = side === 'send' ? state.sends : state.receives;
      const list = mine.get(key);
      if (list) list.push(end);
      else mine.set(key, [end]);
    };

    let current: SummaryRow = rows[0]!;
    let parsed: Fields | undefined;
    const fields = () => (parsed ??= parseFields(current.data));
    for (const row of rows) {
      const ts = BigInt(row.ts);
      const bucket = Math.floor(Number(ts - state.startNs) / FINEST_NS);
      // Parsed only for the kinds whose fields are read below (one closure per batch, not per event).
      current = row;
      parsed = undefined;
      if (!LANELESS_KINDS.has(row.kind) && !state.slots.has(row.pid)) {
        this.slotOf(state, row.pid);
        sql.insertLane.run(runId, row.pid, laneRole(row.pid, fields().role), row.seq);
      }
      const mark = markKindOf(row.kind, row.kind === 'host.exit' ? fields().signal : undefined);
      if (mark) {
        bump(marks, bucket, this.slotOf(state, row.pid) * MARK_KINDS.length + MARK_INDEX.get(mark)!);
      }
      switch (row.kind) {
        case 'io.begin': {
          const f = fields();
          state.openIo.set(ioKey(row.pid, f.op, f.channel), ts);
          break;
        }
        case 'io.end': {
          const f = fields();
          state.openIo.delete(ioKey(row.pid, f.op, f.channel));
          const duration = nanosOrNull(f.durationNs);
          if (duration !== null && duration > BLOCKED_THRESHOLD_NS)
            sql.insertBar.run(runId, ts, row.seq, row.pid, ts - duration, String(f.op), String(f.channel), null);
          break;
        }
        case 'io.error': {
          const f = fields();
          const key = ioKey(row.pid, f.op, f.channel);
          const begin = state.openIo.get(key);
          state.openIo.delete(key);
          if (begin !== undefined && ts - begin > BLOCKED_THRESHOLD_NS)
            sql.insertBar.run(runId, ts, row.seq, row.pid, begin, String(f.op), String(f.channel), String(f.code));
          break;
        }
        case 'io.eof':
          state.openIo.delete(ioKey(row.pid, 'read', fields().channel));
          break;
        case 'message.send':
        case 'message.receive': {
          const f = fields();
          const end = { pid: row.pid, ts, seq: row.seq, channel: String(f.channel), messageId: Number(f.messageId) };
          pair(`${String(f.channel)}${SEP}${String(f.messageId)}`, end, row.kind === 'message.send' ? 'send' : 'receive');
          break;
        }
        // A TCP connection: the same pair of addresses seen from each end (Unix clients are unnamed: no arrow).
        case 'socket.connect':
        case 'socket.accept': {
          const f = fields();
          if (f.transport !== 'tcp') break;
          const end = { pid: row.pid, ts, seq: row.seq, channel: String(f.channel), messageId: null };
          if (row.kind === 'socket.connect') pair(`\u0001tcp ${String(f.local)} ${String(f.remote)}`, end, 'send');
          else pair(`\u0001tcp ${String(f.remote)} ${String(f.local)}`, end, 'receive');
          break;
        }
        // An RPC's call and reply (main/contract/trace-arrows.ts says which events are their ends).
        case 'rpc.call':
        case 'rpc.execute':
        case 'rpc.duplicate':
        case 'rpc.error':
        case 'rpc.fault':
        case 'rpc.reply': {
          const f = fields();
          const end = { pid: row.pid, ts, seq: row.seq, channel: String(f.channel), messageId: typeof f.xid === 'number' ? f.xid : null };
          for (const a of state.rpc.add({ kind: row.kind, pid: row.pid, ts, seq: row.seq, fields: f }, end)) arrow(a.from, a.to);
          break;
        }
        case 'buffer.level': {
          const f = fields();
          const channel = String(f.channel);
          const used = Number(f.used);
          const capacity = f.capacity === null || f.capacity === undefined ? null : Number(f.capacity);
          sql.insertLevel.add(runId, channel, ts, row.seq, used, capacity);
          capacities.set(channel, { seq: capacities.get(channel)?.seq ?? row.seq, capacity });
          let ranges = levelRanges.get(channel);
          if (!ranges) levelRanges.set(channel, (ranges = new Map()));
          const range = ranges.get(bucket);
          if (range) {
            if (used < range[0]) range[0] = used;
            if (used > range[1]) range[1] = used;
          } else ranges.set(bucket, [used, used]);
          break;
        }
      }
    }
    for (const [channel, { seq, capacity }] of capacities) sql.upsertTrack.run(runId, channel, seq, capacity);

    const pidOf = state.pids;
    const markRows: unknown[][] = [];
    for (const [bucket, counts] of marks)
      for (const [key, count] of counts) markRows.push([bucket, pidOf[Math.floor(key / MARK_KINDS.length)]!, MARK_KINDS[key % MARK_KINDS.length]!, count]);
    this.upsertAtEveryLevel(sql.addMarks, runId, markRows, (r) => `${r[1] as number}${SEP}${r[2] as string}`, sum);
    const arrowRows: unknown[][] = [];
    for (const [bucket, counts] of arrowCounts)
      for (const [key, count] of counts) arrowRows.push([bucket, pidOf[Math.floor(key / LANE_KEY)]!, pidOf[key % LANE_KEY]!, count]);
    this.upsertAtEveryLevel(sql.addArrows, runId, arrowRows, (r) => `${r[1] as number}${SEP}${r[2] as number}`, sum);
    for (const [channel, ranges] of levelRanges) {
      const rangeRows = [...ranges].map(([bucket, [min, max]]) => [bucket, channel, min, max]);
      this.upsertAtEveryLevel(
        sql.addLevelRange,
        runId,
        rangeRows,
        () => '',
        (a, b) => [Math.min(a[2] as number, b[2] as number), Math.max(a[3] as number, b[3] as number)],
      );
    }
    for (const writer of [sql.insertArrow, sql.insertLevel, sql.addMarks, sql.addArrows, sql.addLevelRange]) writer.flush();
  }

  /**
   * Stores finest-level rows [bucket, ...key, ...values] at level 0 and, summed with `merge` (which
   * returns the merged values), at every coarser level: bucket k of level L+1 holds buckets 4k..4k+3 of L.
   */
  private upsertAtEveryLevel(
    writer: RowWriter,
    runId: number,
    rows: unknown[][],
    keyOf: (row: unknown[]) => string,
    merge: (a: unknown[], b: unknown[]) => unknown[],
  ): void {
    let current = rows;
    for (let level = 0; level < SUMMARY_LEVELS; level++) {
      for (const row of current) writer.add(runId, level, ...row);
      if (level + 1 === SUMMARY_LEVELS) break;
      const coarser = new Map<string, unknown[]>();
      for (const row of current) {
        const bucket = Math.floor((row[0] as number) / LEVEL_STEP);
        const key = `${bucket}${SEP}${keyOf(row)}`;
        const known = coarser.get(key);
        if (known) {
          const merged = merge(known, row);
          known.splice(known.length - merged.length, merged.length, ...merged);
        } else coarser.set(key, [bucket, ...row.slice(1)]);
      }
      current = [...coarser.values()];
    }
  }

  /** A lane's small number within the run, for numeric keys (pids are given slots as they appear). */
  private slotOf(state: RunState, pid: number): number {
    let slot = state.slots.get(pid);
    if (slot === undefined) {
      slot = state.pids.length;
      state.slots.set(pid, slot);
      state.pids.push(pid);
    }
    return slot;
  }

  /** The run is over (or gone): its pairing state is no longer needed. */
  forget(runId: number): void {
    this.runs.delete(runId);
  }

  /** Removes a run's summaries (its events are removed by the store). */
  deleteRun(runId: number): void {
    for (const table of TRACE_TABLES) this.db.prepare(`DELETE FROM ${table} WHERE run_id = ?`).run(runId);
    this.forget(runId);
  }

  private stateOf(runId: number): RunState {
    let state = this.runs.get(runId);
    if (!state) {
      const run = this.sql.runStart.get(runId) as { start_ts: string } | undefined;
      if (!run) throw new Error(`trace summaries: there is no run ${runId}`);
      state = {
        startNs: BigInt(run.start_ts),
        slots: new Map(),
        pids: [],
        openIo: new Map(),
        sends: new Map(),
        receives: new Map(),
        rpc: new RpcArrowPairing(),
      };
      this.runs.set(runId, state);
      for (const { pid } of this.sql.lanes.all(runId) as { pid: number }[]) this.slotOf(state, pid);
    }
    return state;
  }

  /** The answer to trace.window; the caller has checked that the run exists. */
  window(runId: number, startTs: string, fromNs: number, toNs: number, width: number): TraceWindow {
    if (!(fromNs < toNs))
      throw new UserError(
        'bad-request',
        `Bad request for trace.window: "fromNs" (${fromNs}) must be less than "toNs" (${toNs}).`,
        'Give a window whose fromNs is before its toNs, both in ns since the run started.',
      );
    if (toNs - fromNs > Number.MAX_SAFE_INTEGER)
      throw new UserError(
        'bad-request',
        `Bad request for trace.window: the window from ${fromNs} to ${toNs} ns is wider than ${Number.MAX_SAFE_INTEGER} ns.`,
        'Ask for a window inside the run: its span is in any trace.window answer.',
      );
    const sql = this.sql;
    const start = BigInt(startTs);
    const span = sql.span.get({ run: runId, start }) as { first: number | null; last: number | null };
    const lanes = sql.lanes.all(runId) as { pid: number; role: string }[];
    const tracks = sql.tracks.all(runId) as { channel: string; capacity: number | null }[];

    // Every series (lane, arrows, track) may hold `share` items: raw ones, or at most share buckets.
    const series = lanes.length + tracks.length + 1;
    const share = Math.floor(TRACE_WINDOW_MAX_ITEMS / series);
    if (share < 2)
      throw new UserError('internal', `Run ${runId} has ${lanes.length} processes: too many to draw.`, 'Export the trace and open it in Perfetto UI.');
    const columns = Math.min(width, share - 1);
    const pixelNs = Math.ceil((toNs - fromNs) / columns);
    let level = -1;
    while (level + 1 < SUMMARY_LEVELS && levelWidthNs(level + 1) <= pixelNs) level++;
    const bucketNs = level < 0 ? pixelNs : levelWidthNs(level) * Math.ceil(pixelNs / levelWidthNs(level));
    const firstBucket = Math.floor(fromNs / bucketNs);
    const lastBucket = Math.floor((toNs - 1) / bucketNs);
    const m = level < 0 ? 1 : bucketNs / levelWidthNs(level);
    const aligned = {
      run: runId,
      start,
      level,
      // Bound as bigints: SQLite divides integers as integers only when both are bound as integers.
      m: BigInt(m),
      j0: BigInt(firstBucket),
      s0: BigInt(firstBucket * m),
      s1: BigInt((lastBucket + 1) * m),
      lo: start + BigInt(firstBucket) * BigInt(bucketNs),
      hi: start + BigInt(lastBucket + 1) * BigInt(bucketNs),
      bucketNs,
    };
    const exact = { run: runId, start, lo: start + BigInt(fromNs), hi: start + BigInt(toNs) };

    // Marks per lane and bucket.
    const counts = new Map<number, Map<number, Partial<Record<MarkKind, number>>>>();
    const countMark = (pid: number, j: number, mark: MarkKind, n: number) => {
      let lane = counts.get(pid);
      if (!lane) counts.set(pid, (lane = new Map()));
      let bucket = lane.get(j);
      if (!bucket) lane.set(j, (bucket = {}));
      bucket[mark] = (bucket[mark] ?? 0) + n;
    };
    if (level >= 0) {
      for (const r of sql.markBuckets.iterate(aligned) as IterableIterator<{ pid: number; mark: MarkKind; j: number; n: number }>)
        countMark(r.pid, r.j, r.mark, r.n);
    } else {
      for (const r of sql.eventsInRange.iterate(aligned) as IterableIterator<{ pid: number; kind: string; t: number; data: string | null }>) {
        const mark = markKindOf(r.kind, r.data === null ? undefined : parseFields(r.data).signal);
        if (mark) countMark(r.pid, Math.floor(r.t / bucketNs), mark, 1);
      }
    }
    const barsByLane = new Map<number, TraceWindowBar[]>();
    for (const r of sql.barsInRange.iterate(aligned) as IterableIterator<BarRow>) {
      const list = barsByLane.get(r.pid);
      const bar = { t0: r.t0, t1: r.t1, op: r.op, channel: r.channel, code: r.code, seq: r.seq };
      if (list) list.push(bar);
      else barsByLane.set(r.pid, [bar]);
    }

    const windowLanes: TraceWindowLane[] = lanes.map(({ pid, role }) => {
      const laneCounts = counts.get(pid) ?? new Map<number, Partial<Record<MarkKind, number>>>();
      const bars = barsByLane.get(pid) ?? [];
      const inWindow = bars.filter((b) => b.t1 > fromNs && b.t0 < toNs);
      let markTotal = 0;
      for (const bucket of laneCounts.values()) for (const n of Object.values(bucket)) markTotal += n;
      // markTotal counts whole buckets, so it is at least the marks inside the window.
      if (markTotal + inWindow.length <= share) {
        const marks = this.rawMarks(exact, pid, share - inWindow.length);
        if (marks) return { pid, role, raw: true, marks, bars: inWindow };
      }
      const buckets = new Map<number, TraceLaneBucket>();
      const bucketAt = (j: number) => {
        let b = buckets.get(j);
        if (!b) buckets.set(j, (b = { t0: j * bucketNs, counts: {}, longest: null }));
        return b;
      };
      for (const [j, c] of laneCounts) bucketAt(j).counts = c;
      for (const bar of bars) {
        const from = Math.max(firstBucket, Math.floor(bar.t0 / bucketNs));
        const to = Math.min(lastBucket, Math.floor((bar.t1 - 1) / bucketNs));
        for (let j = from; j <= to; j++) {
          const b = bucketAt(j);
          if (!b.longest || bar.t1 - bar.t0 > b.longest.t1 - b.longest.t0) b.longest = bar;
        }
      }
      return { pid, role, raw: false, buckets: [...buckets.values()].sort((a, b) => a.t0 - b.t0) };
    });

    const answer: TraceWindow = {
      fromNs,
      toNs,
      bucketNs,
      span: span.first === null || span.last === null ? null : { fromNs: span.first, toNs: span.last },
      lanes: windowLanes,
      arrows: this.arrows(exact, aligned, share),
      occupancy: tracks.map((track) => this.track(track, exact, aligned, share)),
    };
    const items = itemCount(answer);
    if (items > TRACE_WINDOW_MAX_ITEMS) throw new Error(`trace.window answered ${items} items, over its bound of ${TRACE_WINDOW_MAX_ITEMS}`);
    return answer;
  }

  /** A lane's marks in the window, or null when there are more than `limit`. */
  private rawMarks(exact: ExactRange, pid: number, limit: number): TraceWindowMark[] | null {
    const rows = this.sql.laneEvents.all({ ...exact, pid, limit: limit + 1 }) as { seq: number; t: number; kind: string; data: string }[];
    if (rows.length > limit) return null;
    const marks: TraceWindowMark[] = [];
    for (const row of rows) {
      const f = LABELLED_KINDS.has(row.kind) ? parseFields(row.data) : {};
      const kind = markKindOf(row.kind, f.signal);
      if (kind) marks.push({ t: row.t, kind, seq: row.seq, label: markLabel(row.kind, f) });
    }
    return marks;
  }

  private arrows(exact: ExactRange, aligned: AlignedRange, share: number): TraceWindow['arrows'] {
    const sent = this.sql.arrowsSent.all({ ...exact, limit: share + 1 }) as ArrowRow[];
    const received = sent.length > share ? [] : (this.sql.arrowsReceived.all({ ...exact, limit: share + 1 - sent.length }) as ArrowRow[]);
    if (sent.length + received.length <= share) {
      const items: TraceWindowArrow[] = [...sent, ...received]
        .map((r) => ({
          fromPid: r.from_pid,
          t0: r.t0,
          toPid: r.to_pid,
          t1: r.t1,
          channel: r.channel,
          messageId: r.message_id,
          fromSeq: r.from_seq,
          toSeq: r.to_seq,
        }))
        .sort((a, b) => a.t0 - b.t0 || a.fromSeq - b.fromSeq);
      return { raw: true, items };
    }
    const counted = new Map<string, TraceArrowBucket>();
    const add = (j: number, fromPid: number, toPid: number, count: number) => {
      const key = `${j}${SEP}${fromPid}${SEP}${toPid}`;
      const b = counted.get(key);
      if (b) b.count += count;
      else counted.set(key, { t0: j * aligned.bucketNs, fromPid, toPid, count });
    };
    if (aligned.level >= 0) {
      for (const r of this.sql.arrowBuckets.iterate(aligned) as IterableIterator<{ from_pid: number; to_pid: number; j: number; n: number }>)
        add(r.j, r.from_pid, r.to_pid, r.n);
    } else {
      for (const r of this.sql.arrowsSentInRange.iterate(aligned) as IterableIterator<{ from_pid: number; to_pid: number; t: number }>)
        add(Math.floor(r.t / aligned.bucketNs), r.from_pid, r.to_pid, 1);
    }
    let buckets = [...counted.values()];
    let bucketNs = aligned.bucketNs;
    // Many pairs of lanes in one bucket: wider buckets until they fit the share.
    for (let factor = 2; buckets.length > share; factor *= 2) {
      bucketNs = aligned.bucketNs * factor;
      const merged = new Map<string, TraceArrowBucket>();
      for (const b of counted.values()) {
        const t0 = Math.floor(b.t0 / bucketNs) * bucketNs;
        const key = `${t0}${SEP}${b.fromPid}${SEP}${b.toPid}`;
        const m = merged.get(key);
        if (m) m.count += b.count;
        else merged.set(key, { ...b, t0 });
      }
      buckets = [...merged.values()];
    }
    return { raw: false, bucketNs, buckets: buckets.sort((a, b) => a.t0 - b.t0 || a.fromPid - b.fromPid || a.toPid - b.toPid) };
  }

  private track(track: { channel: string; capacity: number | null }, exact: ExactRange, aligned: AlignedRange, share: number): TraceWindowTrack {
    const { channel, capacity } = track;
    const before = this.sql.levelBefore.get({ ...exact, channel }) as { t: number; used: number } | undefined;
    const limit = share - (before ? 1 : 0);
    const points = this.sql.levelsInRange.all({ ...exact, channel, limit: limit + 1 }) as { t: number; used: number }[];
    if (points.length <= limit) return { channel, capacity, raw: true, points: before ? [before, ...points] : points };
    const buckets = new Map<number, { t0: number; min: number; max: number }>();
    const add = (j: number, min: number, max: number) => {
      const b = buckets.get(j);
      if (!b) buckets.set(j, { t0: j * aligned.bucketNs, min, max });
      else {
        b.min = Math.min(b.min, min);
        b.max = Math.max(b.max, max);
      }
    };
    if (aligned.level >= 0) {
      for (const r of this.sql.levelBuckets.iterate({ ...aligned, channel }) as IterableIterator<{ j: number; min: number; max: number }>)
        add(r.j, r.min, r.max);
    } else {
      for (const r of this.sql.levelsInAligned.iterate({ ...aligned, channel }) as IterableIterator<{ t: number; used: number }>)
        add(Math.floor(r.t / aligned.bucketNs), r.used, r.used);
    }
    return { channel, capacity, raw: false, buckets: [...buckets.values()].sort((a, b) => a.t0 - b.t0) };
  }

  /** trace.follow: the other end of the arrow a message.send/receive (or TCP connect/accept) is an end of. */
  partnerSeq(runId: number, event: { seq: number; kind: string; ts: bigint }): number | null {
    if (event.kind === 'message.send' || event.kind === 'socket.connect')
      return (this.sql.arrowFrom.get(runId, event.seq) as { to_seq: number } | undefined)?.to_seq ?? null;
    return (this.sql.arrowTo.get(runId, event.ts, event.seq) as { from_seq: number } | undefined)?.from_seq ?? null;
  }
}

/** The tables migration 5 made for this file; a run's rows in them go with the run. */
export const TRACE_TABLES = [
  'trace_lanes',
  'trace_marks',
  'trace_bars',
  'trace_arrows',
  'trace_arrow_buckets',
  'trace_levels',
  'trace_level_buckets',
  'trace_tracks',
];

/** Kinds that can be followed from one end to the other with trace.follow. */
export const FOLLOWABLE_KINDS: ReadonlySet<string> = new Set(['message.send', 'message.receive', 'socket.connect', 'socket.accept']);

interface ExactRange {
  run: number;
  start: bigint;
  lo: bigint;
  hi: bigint;
}

interface AlignedRange extends ExactRange {
  level: number;
  m: bigint;
  j0: bigint;
  s0: bigint;
  s1: bigint;
  bucketNs: number;
}

interface BarRow {
  pid: number;
  t0: number;
  t1: number;
  op: string;
  channel: string;
  code: string | null;
  seq: number;
}

interface ArrowRow {
  from_seq: number;
  from_pid: number;
  t0: number;
  to_seq: number;
  to_pid: number;
  t1: number;
  channel: string;
  message_id: number | null;
}

const UNMARKED_LIST = `(${[...UNMARKED_KINDS].map((k) => `'${k}'`).join(', ')})`;

/**
 * Every statement, prepared once. Times are compared as stored (absolute monotonic ns, bound as
 * bigint) and answered relative to the run's start (`ts - @start`, well inside a double's exact range).
 * Stored bucket s of a level sums into answer bucket j0 + (s - s0) / m (m stored buckets per answer
 * bucket; s >= s0, so the integer division is a floor).
 */
function prepare(db: Database.Database) {
  return {
    runStart: db.prepare('SELECT start_ts FROM runs WHERE id = ?'),
    insertLane: db.prepare('INSERT OR IGNORE INTO trace_lanes (run_id, pid, role, first_seq) VALUES (?, ?, ?, ?)'),
    addMarks: new RowWriter(
      db,
      'INSERT INTO trace_marks (run_id, level, bucket, pid, mark, count)',
      6,
      'ON CONFLICT (run_id, level, bucket, pid, mark) DO UPDATE SET count = count + excluded.count',
    ),
    insertBar: db.prepare('INSERT INTO trace_bars (run_id, t1, seq, pid, t0, op, channel, code) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    insertArrow: new RowWriter(db, 'INSERT INTO trace_arrows (run_id, from_seq, from_pid, from_ts, to_seq, to_pid, to_ts, channel, message_id)', 9),
    addArrows: new RowWriter(
      db,
      'INSERT INTO trace_arrow_buckets (run_id, level, bucket, from_pid, to_pid, count)',
      6,
      'ON CONFLICT (run_id, level, bucket, from_pid, to_pid) DO UPDATE SET count = count + excluded.count',
    ),
    insertLevel: new RowWriter(db, 'INSERT INTO trace_levels (run_id, channel, ts, seq, used, capacity)', 6),
    upsertTrack: db.prepare(
      `INSERT INTO trace_tracks (run_id, channel, first_seq, capacity) VALUES (?, ?, ?, ?)
       ON CONFLICT (run_id, channel) DO UPDATE SET capacity = excluded.capacity`,
    ),
    addLevelRange: new RowWriter(
      db,
      'INSERT INTO trace_level_buckets (run_id, level, bucket, channel, min_used, max_used)',
      6,
      'ON CONFLICT (run_id, level, channel, bucket) DO UPDATE SET min_used = min(min_used, excluded.min_used), max_used = max(max_used, excluded.max_used)',
    ),

    span: db.prepare(
      `SELECT (SELECT ts FROM events WHERE run_id = @run ORDER BY ts LIMIT 1) - @start AS first,
              (SELECT ts FROM events WHERE run_id = @run ORDER BY ts DESC LIMIT 1) - @start AS last`,
    ),
    lanes: db.prepare('SELECT pid, role FROM trace_lanes WHERE run_id = ? ORDER BY first_seq'),
    tracks: db.prepare('SELECT channel, capacity FROM trace_tracks WHERE run_id = ? ORDER BY first_seq'),
    markBuckets: db.prepare(
      `SELECT pid, mark, @j0 + (bucket - @s0) / @m AS j, SUM(count) AS n FROM trace_marks
       WHERE run_id = @run AND level = @level AND bucket >= @s0 AND bucket < @s1 GROUP BY pid, j, mark`,
    ),
    eventsInRange: db.prepare(
      `SELECT pid, kind, ts - @start AS t, CASE WHEN kind = 'host.exit' THEN data END AS data FROM events
       WHERE run_id = @run AND ts >= @lo AND ts < @hi`,
    ),
    laneEvents: db.prepare(
      `SELECT seq, ts - @start AS t, kind, data FROM events INDEXED BY events_by_lane
       WHERE run_id = @run AND pid = @pid AND ts >= @lo AND ts < @hi AND kind NOT IN ${UNMARKED_LIST} ORDER BY ts, seq LIMIT @limit`,
    ),
    barsInRange: db.prepare(
      `SELECT pid, t0 - @start AS t0, t1 - @start AS t1, op, channel, code, seq FROM trace_bars
       WHERE run_id = @run AND t1 > @lo AND t0 < @hi ORDER BY t1, seq`,
    ),
    arrowsSent: db.prepare(
      `SELECT from_seq, from_pid, from_ts - @start AS t0, to_seq, to_pid, to_ts - @start AS t1, channel, message_id FROM trace_arrows
       WHERE run_id = @run AND from_ts >= @lo AND from_ts < @hi LIMIT @limit`,
    ),
    arrowsReceived: db.prepare(
      `SELECT from_seq, from_pid, from_ts - @start AS t0, to_seq, to_pid, to_ts - @start AS t1, channel, message_id FROM trace_arrows
       WHERE run_id = @run AND to_ts >= @lo AND to_ts < @hi AND NOT (from_ts >= @lo AND from_ts < @hi) LIMIT @limit`,
    ),
    arrowBuckets: db.prepare(
      `SELECT from_pid, to_pid, @j0 + (bucket - @s0) / @m AS j, SUM(count) AS n FROM trace_arrow_buckets
       WHERE run_id = @run AND level = @level AND bucket >= @s0 AND bucket < @s1 GROUP BY from_pid, to_pid, j`,
    ),
    arrowsSentInRange: db.prepare('SELECT from_pid, to_pid, from_ts - @start AS t FROM trace_arrows WHERE run_id = @run AND from_ts >= @lo AND from_ts < @hi'),
    arrowFrom: db.prepare('SELECT to_seq FROM trace_arrows WHERE run_id = ? AND from_seq = ?'),
    arrowTo: db.prepare('SELECT from_seq FROM trace_arrows WHERE run_id = ? AND to_ts = ? AND to_seq = ?'),
    levelBefore: db.prepare(
      'SELECT ts - @start AS t, used FROM trace_levels WHERE run_id = @run AND channel = @channel AND ts < @lo ORDER BY ts DESC, seq DESC LIMIT 1',
    ),
    levelsInRange: db.prepare(
      'SELECT ts - @start AS t, used FROM trace_levels WHERE run_id = @run AND channel = @channel AND ts >= @lo AND ts < @hi ORDER BY ts, seq LIMIT @limit',
    ),
    levelsInAligned: db.prepare('SELECT ts - @start AS t, used FROM trace_levels WHERE run_id = @run AND channel = @channel AND ts >= @lo AND ts < @hi'),
    levelBuckets: db.prepare(
      `SELECT @j0 + (bucket - @s0) / @m AS j, MIN(min_used) AS min, MAX(max_used) AS max FROM trace_level_buckets
       WHERE run_id = @run AND level = @level AND channel = @channel AND bucket >= @s0 AND bucket < @s1 GROUP BY j`,
    ),
  };
}

/**
 * An event's fields. The host checked every lab event against the schema, but the summaries must never
 * stop a batch from being stored: a row whose JSON is not an object reads as having no fields.
 */
function parseFields(data: string): Fields {
  try {
    const value: unknown = JSON.parse(data);
    return typeof value === 'object' && value !== null ? (value as Fields) : {};
  } catch {
    return {};
  }
}

function nanosOrNull(value: unknown): bigint | null {
  return typeof value === 'string' && /^\d{1,20}$/.test(value) ? BigInt(value) : null;
}

/**
 * Rows for one table, written ROWS_PER_STATEMENT to a statement: better-sqlite3's cost per call, not
 * SQLite's per row, bounds single-row writes (as for the events themselves). An upsert clause applies to
 * each row. Buffered rows go out on flush(), which add() calls before its transaction commits.
 */
class RowWriter {
  private static readonly ROWS_PER_STATEMENT = 32;
  private readonly one: Database.Statement;
  private readonly many: Database.Statement;
  private readonly pending: unknown[] = [];

  constructor(
    db: Database.Database,
    insert: string,
    private readonly columns: number,
    conflict = '',
  ) {
    const row = `(${Array(columns).fill('?').join(', ')})`;
    this.one = db.prepare(`${insert} VALUES ${row} ${conflict}`);
    this.many = db.prepare(`${insert} VALUES ${Array(RowWriter.ROWS_PER_STATEMENT).fill(row).join(', ')} ${conflict}`);
  }

  add(...values: unknown[]): void {
    this.pending.push(...values);
    if (this.pending.length === this.columns * RowWriter.ROWS_PER_STATEMENT) {
      this.many.run(this.pending);
      this.pending.length = 0;
    }
  }

  flush(): void {
    for (let i = 0; i < this.pending.length; i += this.columns) this.one.run(this.pending.slice(i, i + this.columns));
    this.pending.length = 0;
  }
}

/** Adds one to counts[bucket][key]. */
function bump(counts: Map<number, Map<number, number>>, bucket: number, key: number): void {
  let inBucket = counts.get(bucket);
  if (!inBucket) counts.set(bucket, (inBucket = new Map()));
  inBucket.set(key, (inBucket.get(key) ?? 0) + 1);
}

function ioKey(pid: number, op: unknown, channel: unknown): string {
  return `${pid}${SEP}${String(op)}${SEP}${String(channel)}`;
}

/** A lane's role as the trace model names it: the event's role, else "host" for pid 0, else "process". */
function laneRole(pid: number, role: unknown): string {
  return typeof role === 'string' && role !== '' ? role : pid === 0 ? 'host' : 'process';
}

/** Kinds whose mark has a label (or whose mark depends on a field): their JSON is read. */
const LABELLED_KINDS: ReadonlySet<string> = new Set(['io.error', 'io.eof', 'process.exit', 'host.exit', 'child.exit']);

/** What the timeline writes beside a mark (as renderer/src/lib/trace/trace-model.ts does). */
export function markLabel(kind: string, f: Fields): string | null {
  const exit = (code: unknown) => `exit ${code === null || code === undefined ? '?' : String(code as number)}`;
  switch (kind) {
    case 'io.error':
      return String(f.code);
    case 'io.eof':
      return 'EOF';
    case 'process.exit':
      return exit(f.code);
    case 'host.exit':
      return typeof f.signal === 'string' && f.signal ? f.signal : exit(f.code);
    case 'child.exit':
      return `waitpid: ${String(f.childRole)} ${typeof f.signal === 'string' && f.signal ? f.signal : exit(f.code)}`;
    default:
      return null;
  }
}

/** Items in a window's answer, as TRACE_WINDOW_MAX_ITEMS bounds them. */
export function itemCount(answer: TraceWindow): number {
  let n = answer.arrows.raw ? answer.arrows.items.length : answer.arrows.buckets.length;
  for (const lane of answer.lanes) n += lane.raw ? lane.marks.length + lane.bars.length : lane.buckets.length;
  for (const track of answer.occupancy) n += track.raw ? track.points.length : track.buckets.length;
  return n;
}

/** A stored event row as the contract's StoredEvent. */
export function storedEvent(runId: number, row: { seq: number; data: string }): StoredEvent {
  return { ...(JSON.parse(row.data) as object), runId, seq: row.seq } as StoredEvent;
}
