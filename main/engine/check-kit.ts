/**
 * What a lab's checks.ts is written against. A check is a predicate over the student's own run: the
 * trace events, the processes and the parameters. It says whether the experiment showed what it should,
 * and in a sentence what the trace showed.
 */
import type { ChartAxis, ChartSeries, ParamValues, ProcessInfo } from '../contract/lab-model.js';
import type { StoredEvent, StoredEventOf, TraceEventKind } from '../contract/trace-events.js';

// The chart's shapes are the contract's (the page draws them too); a checks.ts may import them from here.
export type { ChartAxis, ChartPoint, ChartSeries } from '../contract/lab-model.js';

/**
 * The run as a check reads it. The events stay in the run's database and are read when a check asks (a
 * run may hold a million of them), so ask for what the check needs, in the cheapest form:
 *
 * - `count`, `first`, `last`: a number or one event, without loading the kind.
 * - `stream`: the events of a kind in `seq` order, a page at a time, so that memory stays one page
 *   whatever the run's size. Use it (or count/first/last) for every kind that grows with the run's
 *   parameters: message.send / message.receive, io.begin / io.end, buffer.level, rpc.* over many calls.
 *   Leaving a `for...of` over it early (break, return, find) stops the reading there.
 * - `events`: a whole kind as an array, loaded once and shared by the run's checks. For kinds that stay
 *   small whatever the parameters (process.start, object.create, io.error, kernel.snapshot, measure).
 * - `scan`: every event of several kinds in one pass, a page at a time.
 *
 * Arrays returned are the check's own (sorting one changes no other check's); the events in them, and
 * those a stream yields, may be shared by the run's checks and must not be changed.
 */
export interface RunTrace {
  params: ParamValues;
  processes: ProcessInfo[];
  /** The events of one kind (every event when `kind` is left out), optionally from one role, in `seq` order. */
  events<K extends TraceEventKind>(kind: K, role?: string): StoredEventOf<K>[];
  events(): StoredEvent[];
  /** How many events of `kind` (from `role`, when given) the run holds. */
  count(kind: TraceEventKind, role?: string): number;
  /** The events of `kind` (from `role`) in `seq` order, read a page at a time: the same events `events` gives, never all held. */
  stream<K extends TraceEventKind>(kind: K, role?: string): Iterable<StoredEventOf<K>>;
  /** The first event of `kind` (from `role`) in `seq` order, or undefined when there is none. */
  first<K extends TraceEventKind>(kind: K, role?: string): StoredEventOf<K> | undefined;
  /** The last event of `kind` (from `role`) in `seq` order, or undefined when there is none. */
  last<K extends TraceEventKind>(kind: K, role?: string): StoredEventOf<K> | undefined;
  /** Every event of the given kinds (all when left out) in `seq` order, a page at a time: for a pass over a large trace. */
  scan(kinds?: readonly TraceEventKind[]): Iterable<StoredEvent>;
}

/** A trace as plain data: what reports, `verify` and tests hold in memory. */
export interface TraceData {
  params: ParamValues;
  processes: ProcessInfo[];
  events: StoredEvent[];
}

export interface CheckOutcome {
  passed: boolean;
  detail: string;
  /**
   * What to try, for this outcome: replaces the definition's hint when the general one would not fit
   * what the trace showed (a hint must follow from the evidence the check saw).
   */
  hint?: string;
  /**
   * The `ts` of the event that shows the evidence (the blocked write, the snapshot holding the pipe):
   * where the kernel view and the timeline's cursor open after the run.
   */
  moment?: string;
  /**
   * Numbers read off the trace, by the ids the definition's `measures` declares: what questions are
   * graded against. Give one only when the trace showed it (a capacity needs a write that blocked),
   * whether or not the check passed.
   */
  measurements?: Record<string, number>;
  /**
   * Curves read off the trace, by the ids the definition's `charts` declares: each a list of named
   * series of points in the declared units (the speed-up for each k, the throughput for each message
   * size). Drawn under the check's result; give one only from what the run measured. Each value
   * must be finite (and positive on a log2 axis), with at most 8 series of at most 256 points
   * (CHART_MAX_SERIES, CHART_MAX_POINTS): otherwise the check's result is an error naming the chart
   * (main/engine/check-charts.ts).
   */
  charts?: Record<string, ChartSeries[]>;
}

/** A chart a check can draw: its title (the figure's caption) and its two axes. */
export interface ChartDeclaration {
  title: string;
  x: ChartAxis;
  y: ChartAxis;
}

export interface MeasurementDeclaration {
  /** The unit a question graded against it must use ("bytes", "ms", "updates"). */
  unit: string;
  /** What it is, in a few words, for lab authors and the loader's messages. */
  title: string;
}

export interface CheckDefinition {
  title: string;
  /** Shown when the check fails: what the student could change or look at. */
  hint: string;
  /** The measurements the check can produce, by id (lower-case words and dashes, like capacity-bytes). */
  measures?: Record<string, MeasurementDeclaration>;
  /** The charts the check can draw, by id (lower-case words and dashes, like speed-up). */
  charts?: Record<string, ChartDeclaration>;
  check(trace: RunTrace): CheckOutcome;
}

export type LabChecks = Record<string, CheckDefinition>;

/** Identity, for the types: `export default defineChecks({ ... })`. */
export function defineChecks<T extends LabChecks>(checks: T): T {
  return checks;
}

/** The events of one kind, optionally from one role, in sequence order. */
export function eventsOf<K extends TraceEventKind>(trace: RunTrace, kind: K, role?: string): StoredEventOf<K>[] {
  return trace.events(kind, role);
}

/** Keeps the events of `role` (all when undefined); always a new array. */
export function ofRole<E extends StoredEvent>(events: readonly E[], role: string | undefined): E[] {
  return role === undefined ? events.slice() : events.filter((e) => e.role === role);
}

/** The first of `events` that `test` accepts; over a stream, it stops reading there. */
export function findIn<E>(events: Iterable<E>, test: (e: E) => boolean): E | undefined {
  for (const e of events) if (test(e)) return e;
  return undefined;
}

/** The last of `events` that `test` accepts (a whole pass; holds one event). */
export function findLastIn<E>(events: Iterable<E>, test: (e: E) => boolean): E | undefined {
  let found: E | undefined;
  for (const e of events) if (test(e)) found = e;
  return found;
}

/** Whether any of `events` is accepted by `test`; over a stream, it stops reading at the first. */
export function someIn<E>(events: Iterable<E>, test: (e: E) => boolean): boolean {
  return findIn(events, test) !== undefined;
}

/**
 * Two sequences side by side, `[a[i], b[i]]` for each i until the shorter one ends: the i-th message
 * sent beside the i-th received, holding one of each. Both are closed when it stops (a stream then stops reading).
 */
export function* zip<A, B>(a: Iterable<A>, b: Iterable<B>): Generator<[A, B]> {
  const left = a[Symbol.iterator]();
  const right = b[Symbol.iterator]();
  try {
    for (;;) {
      const x = left.next();
      if (x.done) return;
      const y = right.next();
      if (y.done) return;
      yield [x.value, y.value];
    }
  } finally {
    left.return?.();
    right.return?.();
  }
}

/** Thrown by `byTime` when a sequence it merges is not in time order: the caller sorts instead. */
export class NotInTimeOrder extends Error {
  constructor(e: StoredEvent) {
    super(`event #${e.seq} (${e.kind}) came after a later one: the sequence is not in time order`);
  }
}

/**
 * Several seq-ordered sequences merged into one by `ts`, ties in `seq` order: the same order as sorting
 * them all by (ts, seq), holding one event of each. It needs each sequence in time order, which the
 * events of one process are (it stamps them from one monotonic clock as it emits them, and they reach
 * the host in that order); it throws NotInTimeOrder on one that is not, so that the check can sort.
 */
export function* byTime<E extends StoredEvent>(...sequences: Iterable<E>[]): Generator<E> {
  const its = sequences.map((s) => s[Symbol.iterator]());
  try {
    const heads: ({ e: E; at: bigint } | undefined)[] = its.map(() => undefined);
    // heads[i]: the next event of sequence i, undefined once it has ended.
    const advance = (i: number): void => {
      const next = its[i]!.next();
      if (next.done) return void (heads[i] = undefined);
      const at = BigInt(next.value.ts);
      if (heads[i] && at < heads[i]!.at) throw new NotInTimeOrder(next.value);
      heads[i] = { e: next.value, at };
    };
    its.forEach((_, i) => advance(i));
    for (;;) {
      let best = -1;
      for (const [i, h] of heads.entries()) {
        const b = best >= 0 ? heads[best]! : undefined;
        if (h && (!b || h.at < b.at || (h.at === b.at && h.e.seq < b.e.seq))) best = i;
      }
      if (best < 0) return;
      yield heads[best]!.e;
      advance(best);
    }
  } finally {
    for (const it of its) it.return?.();
  }
}

/** A RunTrace over events held in memory (grouped by kind on first use). */
export function memoryTrace(data: TraceData): RunTrace {
  let byKind: Map<string, StoredEvent[]> | undefined;
  const ofKind = (kind: string): StoredEvent[] => {
    if (!byKind) {
      byKind = new Map();
      for (const e of data.events) {
        const list = byKind.get(e.kind);
        if (list) list.push(e);
        else byKind.set(e.kind, [e]);
      }
    }
    return byKind.get(kind) ?? [];
  };
  const events = (kind?: TraceEventKind, role?: string): StoredEvent[] => ofRole(kind === undefined ? data.events : ofKind(kind), role);
  const fromRole = (role: string | undefined) => (e: StoredEvent) => role === undefined || e.role === role;
  return {
    params: data.params,
    processes: data.processes,
    events: events as RunTrace['events'],
    count: (kind, role) => (role === undefined ? ofKind(kind).length : ofKind(kind).filter(fromRole(role)).length),
    stream: ((kind: TraceEventKind, role?: string) => ofKind(kind).filter(fromRole(role))) as RunTrace['stream'],
    first: ((kind: TraceEventKind, role?: string) => ofKind(kind).find(fromRole(role))) as RunTrace['first'],
    last: ((kind: TraceEventKind, role?: string) => ofKind(kind).findLast(fromRole(role))) as RunTrace['last'],
    *scan(kinds?: readonly TraceEventKind[]): Iterable<StoredEvent> {
      const wanted = kinds && new Set<string>(kinds);
      for (const e of data.events) if (!wanted || wanted.has(e.kind)) yield e;
    },
  };
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/**
 * " (#10003, #20001 twice, ... and 7 more)": the first ids of a list, with how often each was taken when given:
 * items lost or taken twice, listed by number in a check's detail.
 */
export function idList(ids: number[], counts?: Map<number, number>, shown = 8): string {
  if (ids.length === 0) return '';
  const sorted = [...ids].sort((a, b) => a - b);
  const items = sorted.slice(0, shown).map((id) => {
    const n = counts?.get(id) ?? 1;
    return `#${id}${n > 2 ? ` ${n} times` : n === 2 ? ' twice' : ''}`;
  });
  return ` (${items.join(', ')}${sorted.length > shown ? `, and ${sorted.length - shown} more` : ''})`;
}
