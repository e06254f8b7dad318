/**
 * What the timeline draws of a large run (issue 13): the engine's answer to `trace.window` for one time
 * window at one pixel width, turned into the same lanes, marks, bars, arrows and occupancy tracks the
 * painter draws from the page's own model (trace-model.ts) for a small run. Raw series come as they
 * are. A summarised series comes as buckets of one to two pixels, and each becomes what a pixel column
 * of raw items would look like drawn: one mark per kind with marks in the bucket (its `count` says how
 * many), the longest blocked call that overlaps the bucket, one arrow per pair of lanes (vertical, at
 * the bucket), and a buffer's min and max in it (the track's line rises to the max and ends at the min).
 *
 * Times: the answer's ns since the run's start become float ms (lossy, layout only).
 */
import { TRACE_WINDOW_MAX_WIDTH, type TraceWindow } from '../../../../main/contract/commands.js';
import { blockedBar, type Arrow, type Bar, type Lane, type Mark, type OccupancyTrack } from './trace-model.js';

/**
 * The most events the page holds of one run; a larger run is drawn from windowed queries. 20,000 events
 * are four runs.get pages, a few MB of heap, and a model the timeline repaints within a frame; the labs'
 * usual runs stay under it and look as they always did.
 */
export const RUN_VIEW_WHOLE_MAX = 20_000;

/** What the painter draws from: the page's TraceModel (a small run) or a WindowScene (a large one). */
export interface TraceScene {
  readonly lanes: readonly Lane[];
  readonly marks: readonly (readonly Mark[])[];
  readonly bars: readonly Bar[];
  readonly arrows: readonly Arrow[];
  readonly occupancy: readonly OccupancyTrack[];
  /** The latest event time known, ms since the start. */
  readonly endT: number;
  /** Calls not returned (yet), drawn to their process's end or to `nowT`. */
  openBars(nowT: number | null): Bar[];
}

/** A mark that stands for the `count` marks of its kind in a bucket [t0, t1) ms: it has no event of its own (seq 0). */
export const BUCKET_SEQ = 0;

export interface WindowScene extends TraceScene {
  /** The window the answer covers (ms since the start) and its width in pixels: drawn exactly inside it. */
  readonly fromT: number;
  readonly toT: number;
  readonly width: number;
  /** The run's first and last event times (ms), or null before any was stored. */
  readonly span: { fromT: number; toT: number } | null;
  /** Whether any series came summarised: zooming in shows more. */
  readonly summarised: boolean;
}

const ms = (ns: number) => ns / 1e6;

export function windowScene(answer: TraceWindow, width: number): WindowScene {
  const lanes: Lane[] = answer.lanes.map((lane, index) => ({ pid: lane.pid, role: lane.role, index }));
  const laneOf = new Map(answer.lanes.map((lane, index) => [lane.pid, index]));
  const marks: Mark[][] = [];
  const bars: Bar[] = [];
  let summarised = false;
  answer.lanes.forEach((lane, index) => {
    if (lane.raw) {
      marks.push(lane.marks.map((m) => ({ t: ms(m.t), kind: m.kind, seq: m.seq, label: m.label })));
      for (const bar of lane.bars) bars.push(blockedBar(index, ms(bar.t0), ms(bar.t1), bar.op, bar.channel, bar.code));
      return;
    }
    summarised = true;
    const laneMarks: Mark[] = [];
    const barSeqs = new Set<number>();
    for (const bucket of lane.buckets) {
      const t0 = ms(bucket.t0);
      const t1 = ms(bucket.t0 + answer.bucketNs);
      for (const [kind, count] of Object.entries(bucket.counts) as [Mark['kind'], number][]) {
        laneMarks.push({ t: (t0 + t1) / 2, kind, seq: BUCKET_SEQ, label: null, count, bucket: { t0, t1 } });
      }
      const longest = bucket.longest;
      if (longest && !barSeqs.has(longest.seq)) {
        barSeqs.add(longest.seq);
        bars.push(blockedBar(index, ms(longest.t0), ms(longest.t1), longest.op, longest.channel, longest.code));
      }
    }
    marks.push(laneMarks);
  });

  const arrows: Arrow[] = [];
  if (answer.arrows.raw) {
    for (const a of answer.arrows.items) {
      const fromLane = laneOf.get(a.fromPid);
      const toLane = laneOf.get(a.toPid);
      if (fromLane !== undefined && toLane !== undefined) arrows.push({ fromLane, t0: ms(a.t0), toLane, t1: ms(a.t1) });
    }
  } else {
    summarised = true;
    const half = ms(answer.arrows.bucketNs) / 2;
    for (const b of answer.arrows.buckets) {
      const fromLane = laneOf.get(b.fromPid);
      const toLane = laneOf.get(b.toPid);
      if (fromLane !== undefined && toLane !== undefined) arrows.push({ fromLane, t0: ms(b.t0) + half, toLane, t1: ms(b.t0) + half, count: b.count });
    }
  }

  const occupancy: OccupancyTrack[] = answer.occupancy.map((track, index) => {
    const times: number[] = [];
    const used: number[] = [];
    if (track.raw) {
      for (const p of track.points) {
        times.push(ms(p.t));
        used.push(p.used);
      }
    } else {
      summarised = true;
      const quarter = ms(answer.bucketNs) / 4;
      for (const b of track.buckets) {
        times.push(ms(b.t0), ms(b.t0) + quarter);
        used.push(b.max, b.min);
      }
    }
    return { channel: track.channel, index, times, used, capacity: track.capacity, maxUsed: used.reduce((a, b) => Math.max(a, b), 0) };
  });

  const span = answer.span ? { fromT: ms(answer.span.fromNs), toT: ms(answer.span.toNs) } : null;
  return {
    lanes,
    marks,
    bars,
    arrows,
    occupancy,
    endT: span?.toT ?? 0,
    openBars: () => [],
    fromT: ms(answer.fromNs),
    toT: ms(answer.toNs),
    width,
    span,
    summarised,
  };
}

/** A window of the timeline: ms since the run's start, and the canvas width in CSS pixels. */
export interface ShownWindow {
  t0: number;
  t1: number;
  width: number;
}

/**
 * Whether `scene` draws `shown` as well as a new answer would: it covers the window and, where it is
 * summarised, its pixels are no more than 1.5 times as wide as the window's. A raw scene is exact at any
 * zoom inside what it covers.
 */
export function sceneCovers(scene: WindowScene | null, shown: ShownWindow): boolean {
  if (!scene) return false;
  const span = scene.span;
  // Past the run's known end there is nothing more to draw: a window reaching there is covered up to it.
  const t1 = span ? Math.min(shown.t1, Math.max(span.toT, scene.toT)) : shown.t1;
  if (shown.t0 < scene.fromT || t1 > scene.toT) return false;
  if (!scene.summarised) return true;
  const scenePixel = (scene.toT - scene.fromT) / scene.width;
  const shownPixel = (shown.t1 - shown.t0) / Math.max(shown.width, 1);
  return scenePixel <= shownPixel * 1.5;
}

/**
 * The share of the shown span asked for on either side: a pan of a quarter screen is drawn from the
 * answer at once. Not more: an answer holds at most TRACE_WINDOW_MAX_ITEMS items, so every pixel of margin
 * is a pixel of resolution less on screen.
 */
export const WINDOW_MARGIN = 0.25;

/** The window to ask for: the shown one with WINDOW_MARGIN of its span on either side, at as many pixels (bounded). */
export function requestFor(shown: ShownWindow): { fromNs: number; toNs: number; width: number } {
  const span = Math.max(shown.t1 - shown.t0, 1e-6);
  const from = shown.t0 - span * WINDOW_MARGIN;
  const to = shown.t1 + span * WINDOW_MARGIN;
  return {
    fromNs: Math.floor(from * 1e6),
    toNs: Math.max(Math.ceil(to * 1e6), Math.floor(from * 1e6) + 1),
    width: Math.min(Math.max(Math.round(shown.width * (1 + 2 * WINDOW_MARGIN)), 1), TRACE_WINDOW_MAX_WIDTH),
  };
}
