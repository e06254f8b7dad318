/**
 * Draws a TraceScene (the page's TraceModel of a small run, or a WindowScene of a large one) on a canvas, Perfetto style: synchronous, one pass, never a DOM node per event.
 * Marks closer than a pixel to the previous one of the same kind in the same lane are skipped, so a
 * run of 100k events costs a loop, not 100k paths; occupancy steps that fall in one pixel column are
 * merged the same way.
 *
 * Layout, top to bottom: the time axis, one lane per process, then one occupancy track per buffer.
 */
import { indexAtOrBefore, type Mark, type MarkKind, type OccupancyTrack } from './trace-model.js';
import type { TraceScene } from './window-scene.js';

export const LANE_HEIGHT = 44;
export const AXIS_HEIGHT = 26;
export const OCCUPANCY_HEIGHT = 48;
/** The least room between two mark labels on a lane, in pixels. */
const LABEL_GAP = 6;
const PAD_X = 12;
const OCCUPANCY_PAD = 7;
export interface TimeWindow {
  /** Visible window, in ms since the run started. */
  t0: number;
  t1: number;
}

/**
 * The colours the timeline is drawn in. They come from the theme (renderer/src/theme.css, the --trace-*
 * and --mark-* custom properties), read with `readTracePalette` before each paint, so the canvas follows
 * the light and dark schemes like the rest of the page.
 */
export interface TracePalette {
  bg: string;
  laneAlt: string;
  line: string;
  lineStrong: string;
  axisBg: string;
  axisText: string;
  occupancyBand: string;
  occupancy: string;
  occupancyFill: string;
  fullLine: string;
  fullText: string;
  now: string;
  blocked: string;
  blockedFill: string;
  blockedText: string;
  arrow: string;
  arrowHead: string;
  cursor: string;
  cursorText: string;
  /** The notch cut into the error triangles: the lane's own background. */
  markCut: string;
  /** The ring around the mark chosen with the keyboard. */
  selection: string;
  marks: Record<MarkKind, string>;
}

/** The custom property each colour is read from. */
export const PALETTE_VARS: Record<Exclude<keyof TracePalette, 'marks'>, string> = {
  bg: '--trace-bg',
  laneAlt: '--trace-lane-alt',
  line: '--trace-line',
  lineStrong: '--trace-line-strong',
  axisBg: '--trace-axis-bg',
  axisText: '--trace-axis-text',
  occupancyBand: '--trace-occupancy-band',
  occupancy: '--trace-occupancy',
  occupancyFill: '--trace-occupancy-fill',
  fullLine: '--trace-full-line',
  fullText: '--trace-full-text',
  now: '--trace-now',
  blocked: '--trace-blocked',
  blockedFill: '--trace-blocked-fill',
  blockedText: '--trace-blocked-text',
  arrow: '--trace-arrow',
  arrowHead: '--trace-arrow-head',
  cursor: '--trace-cursor',
  cursorText: '--trace-cursor-text',
  markCut: '--trace-mark-cut',
  selection: '--trace-selection',
};

/** Each mark kind's colour is `--mark-<kind>`; the legend uses the same properties. */
export const MARK_VARS: Record<MarkKind, string> = {
  start: '--mark-start',
  exit: '--mark-exit',
  killed: '--mark-killed',
  reap: '--mark-reap',
  create: '--mark-create',
  io: '--mark-io',
  send: '--mark-send',
  receive: '--mark-receive',
  eof: '--mark-eof',
  error: '--mark-error',
  close: '--mark-close',
  measure: '--mark-measure',
  note: '--mark-note',
  output: '--mark-output',
  warning: '--mark-warning',
  rejected: '--mark-rejected',
};

/**
 * The palette as the theme sets it, through `read` (a custom property's value, e.g. from
 * `getComputedStyle(canvas).getPropertyValue`). A property the theme lacks reads as grey, visibly wrong
 * rather than invisible.
 */
export function readTracePalette(read: (property: string) => string): TracePalette {
  const value = (property: string) => read(property).trim() || '#808080';
  const palette = {} as Record<string, unknown>;
  for (const [key, property] of Object.entries(PALETTE_VARS)) palette[key] = value(property);
  const marks = {} as Record<MarkKind, string>;
  for (const [kind, property] of Object.entries(MARK_VARS) as [MarkKind, string][]) marks[kind] = value(property);
  palette.marks = marks;
  return palette as unknown as TracePalette;
}

/**
 * A canvas ready to paint `width` × `height` CSS pixels sharp at the screen's pixel ratio: its backing
 * store resized only when that changed (a resize clears it), scaled so the painter works in CSS pixels.
 * Null when the browser gives no 2D context.
 */
export function canvasContext(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D | null {
  const dpr = globalThis.devicePixelRatio || 1;
  if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
  }
  const ctx = canvas.getContext('2d');
  ctx?.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

export function timeToX(t: number, window: TimeWindow, width: number): number {
  const span = Math.max(window.t1 - window.t0, 1e-6);
  return PAD_X + ((t - window.t0) / span) * (width - 2 * PAD_X);
}

export function xToTime(x: number, window: TimeWindow, width: number): number {
  const span = Math.max(window.t1 - window.t0, 1e-6);
  return window.t0 + ((x - PAD_X) / (width - 2 * PAD_X)) * span;
}

export function laneCenterY(lane: number): number {
  return AXIS_HEIGHT + lane * LANE_HEIGHT + LANE_HEIGHT / 2;
}

/** Top of the occupancy track `index`, below `laneCount` lanes. */
export function occupancyTop(laneCount: number, index: number): number {
  return AXIS_HEIGHT + laneCount * LANE_HEIGHT + index * OCCUPANCY_HEIGHT;
}

/** Total canvas height for this many lanes and occupancy tracks. */
export function traceHeight(laneCount: number, trackCount: number): number {
  return AXIS_HEIGHT + Math.max(laneCount, 1) * LANE_HEIGHT + trackCount * OCCUPANCY_HEIGHT;
}

/** The occupancy track under y, or null. */
export function occupancyTrackAt(model: TraceScene, y: number): OccupancyTrack | null {
  const index = Math.floor((y - occupancyTop(model.lanes.length, 0)) / OCCUPANCY_HEIGHT);
  return y >= occupancyTop(model.lanes.length, 0) ? (model.occupancy[index] ?? null) : null;
}

/** "1,234.5 ms": a cursor time (ms since the start, lossy). */
export function formatCursorMs(ms: number): string {
  return `${ms.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })} ms`;
}

/** A bar narrower than this never has room for its label (the shortest, "1.0 ms", is wider). */
const MIN_LABELLED_BAR_PX = 24;

/** Text widths by font and text: measureText was the painter's largest cost on a summarised run. */
const widths = new Map<string, number>();
const WIDTHS_KEPT = 4096;

function textWidth(ctx: CanvasRenderingContext2D, text: string): number {
  const key = `${ctx.font}\u0000${text}`;
  let width = widths.get(key);
  if (width === undefined) {
    width = ctx.measureText(text).width;
    if (widths.size >= WIDTHS_KEPT) widths.clear();
    widths.set(key, width);
  }
  return width;
}

/** A "nice" tick step (1, 2 or 5 × 10^n ms) giving about `target` ticks. */
function tickStep(span: number, target: number): number {
  const raw = span / target;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

function formatTick(ms: number, step: number): string {
  if (step >= 1000) return `${(ms / 1000).toFixed(step >= 10000 ? 0 : 1)} s`;
  if (step >= 1) return `${ms.toFixed(0)} ms`;
  if (step >= 0.01) return `${ms.toFixed(step >= 0.1 ? 1 : 2)} ms`;
  return `${(ms * 1000).toFixed(0)} µs`;
}

/**
 * `nowT`: while the run goes on, how far it has got (ms since its start, estimated from the wall clock).
 * `cursorT`: the moment the student pinned for the kernel view, or null.
 * `selection`: the mark chosen with the keyboard (its lane and time), ringed, or null.
 */
export function paintTrace(
  ctx: CanvasRenderingContext2D,
  model: TraceScene,
  window: TimeWindow,
  width: number,
  height: number,
  palette: TracePalette,
  nowT: number | null = null,
  cursorT: number | null = null,
  selection: { lane: number; t: number } | null = null,
): void {
  const p = palette;
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = p.bg;
  ctx.fillRect(0, 0, width, height);
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';

  // Lane bands.
  for (const lane of model.lanes) {
    const y = AXIS_HEIGHT + lane.index * LANE_HEIGHT;
    ctx.fillStyle = lane.index % 2 === 0 ? p.laneAlt : p.bg;
    ctx.fillRect(0, y, width, LANE_HEIGHT);
    ctx.fillStyle = p.line;
    ctx.fillRect(0, y + LANE_HEIGHT - 1, width, 1);
  }

  // Occupancy track bands.
  for (const track of model.occupancy) {
    const y = occupancyTop(model.lanes.length, track.index);
    ctx.fillStyle = p.occupancyBand;
    ctx.fillRect(0, y, width, OCCUPANCY_HEIGHT);
    ctx.fillStyle = p.lineStrong;
    ctx.fillRect(0, y + OCCUPANCY_HEIGHT - 1, width, 1);
  }

  // Axis and grid.
  const span = Math.max(window.t1 - window.t0, 1e-6);
  const step = tickStep(span, Math.max(2, Math.floor(width / 110)));
  ctx.fillStyle = p.axisBg;
  ctx.fillRect(0, 0, width, AXIS_HEIGHT);
  ctx.fillStyle = p.lineStrong;
  ctx.fillRect(0, AXIS_HEIGHT - 1, width, 1);
  for (let t = Math.ceil(window.t0 / step) * step; t <= window.t1; t += step) {
    const x = Math.round(timeToX(t, window, width)) + 0.5;
    ctx.fillStyle = p.line;
    ctx.fillRect(x, AXIS_HEIGHT, 1, height - AXIS_HEIGHT);
    ctx.fillStyle = p.axisText;
    ctx.fillRect(x, AXIS_HEIGHT - 6, 1, 6);
    ctx.fillText(formatTick(t, step), x + 3, AXIS_HEIGHT / 2 - 2);
  }

  if (nowT !== null && nowT >= window.t0 && nowT <= window.t1) {
    // The "now" line of a live run.
    const x = Math.round(timeToX(nowT, window, width)) + 0.5;
    ctx.fillStyle = p.now;
    ctx.fillRect(x, AXIS_HEIGHT, 1, height - AXIS_HEIGHT);
  }

  const dataEndT = Math.max(model.endT, nowT ?? -Infinity);
  for (const track of model.occupancy) paintOccupancy(ctx, p, track, occupancyTop(model.lanes.length, track.index), window, width, dataEndT);

  const visible = (t: number) => t >= window.t0 - span * 0.01 && t <= window.t1 + span * 0.01;

  // Blocked bars under everything else.
  for (const bar of [...model.bars, ...model.openBars(nowT)]) {
    if (bar.t1 < window.t0 || bar.t0 > window.t1) continue;
    const x0 = Math.max(timeToX(bar.t0, window, width), 0);
    const x1 = Math.min(timeToX(bar.t1, window, width), width);
    const barWidth = x1 - x0;
    const y = laneCenterY(bar.lane);
    ctx.fillStyle = p.blockedFill;
    ctx.fillRect(x0, y - 9, Math.max(x1 - x0, 2), 18);
    ctx.fillStyle = p.blocked;
    ctx.fillRect(x0, y - 9, Math.max(x1 - x0, 2), 2);
    if (bar.open) {
      // A ragged right edge: the call had not returned when last seen.
      for (let yy = y - 9; yy < y + 9; yy += 4) ctx.fillRect(x1 - 2, yy, 2, 2);
    } else if (bar.endedBy) {
      // A hard edge where the process ended inside the call (the lane's end mark sits on it).
      ctx.fillStyle = p.marks[bar.endedBy.signal ? 'killed' : 'exit'];
      ctx.fillRect(x1 - 2, y - 9, 2, 18);
    }
    // The full label ("blocked in wait (buffer: empty slots) 120 ms") if it fits, else the duration.
    // A bar narrower than any duration's text is not measured at all (a summarised run has hundreds).
    if (barWidth < MIN_LABELLED_BAR_PX) continue;
    const text = barWidth > textWidth(ctx, bar.label) + 8 ? bar.label : bar.short;
    if (barWidth > textWidth(ctx, text) + 8) {
      ctx.fillStyle = p.blockedText;
      ctx.fillText(text, x0 + 4, y + 2);
    }
  }

  // Message arrows: every line in one path and every head in another (one stroke and one fill, however many).
  ctx.strokeStyle = p.arrow;
  ctx.fillStyle = p.arrowHead;
  ctx.lineWidth = 1;
  let lastX0 = NaN;
  let lastX1 = NaN;
  const lines = new Path2D();
  const heads = new Path2D();
  for (const arrow of model.arrows) {
    if (Math.max(arrow.t0, arrow.t1) < window.t0 || Math.min(arrow.t0, arrow.t1) > window.t1) continue;
    const x0 = timeToX(arrow.t0, window, width);
    const x1 = timeToX(arrow.t1, window, width);
    if (Math.abs(x0 - lastX0) < 1 && Math.abs(x1 - lastX1) < 1) continue;
    lastX0 = x0;
    lastX1 = x1;
    const y0 = laneCenterY(arrow.fromLane);
    const y1 = laneCenterY(arrow.toLane);
    const dir = Math.sign(y1 - y0) || 1;
    const ya = y0 + dir * 7;
    const yb = y1 - dir * 7;
    lines.moveTo(x0, ya);
    lines.lineTo(x1, yb);
    const angle = Math.atan2(yb - ya, x1 - x0);
    heads.moveTo(x1, yb);
    heads.lineTo(x1 - 6 * Math.cos(angle - 0.4), yb - 6 * Math.sin(angle - 0.4));
    heads.lineTo(x1 - 6 * Math.cos(angle + 0.4), yb - 6 * Math.sin(angle + 0.4));
    heads.closePath();
  }
  ctx.stroke(lines);
  ctx.fill(heads);

  // Marks, lane by lane.
  for (const lane of model.lanes) {
    const marks = model.marks[lane.index]!;
    const y = laneCenterY(lane.index);
    const lastX = new Map<MarkKind, number>();
    // The labels drawn on this lane so far, as [left, right] pixels: a label that would overlap one is
    // left out (its mark still shows, and its hover card says it), so two never print over each other.
    const labelled: [number, number][] = [];
    ctx.font = '600 11px system-ui, sans-serif';
    for (const mark of marks) {
      if (!visible(mark.t)) continue;
      const x = Math.round(timeToX(mark.t, window, width));
      if (lastX.get(mark.kind) === x) continue;
      lastX.set(mark.kind, x);
      drawMark(ctx, p, mark, x, y);
      if (!mark.label) continue;
      const labelWidth = textWidth(ctx, mark.label);
      // Near the right edge, put the label on the mark's left so it is not cut off.
      const left = x + 7 + labelWidth > width - 2 ? x - 7 - labelWidth : x + 7;
      const right = left + labelWidth;
      if (labelled.some(([l, r]) => left < r + LABEL_GAP && right > l - LABEL_GAP)) continue;
      labelled.push([left, right]);
      ctx.fillStyle = p.marks[mark.kind];
      ctx.fillText(mark.label, left, y - 12);
    }
    ctx.font = '11px system-ui, sans-serif';
  }

  if (selection && selection.t >= window.t0 && selection.t <= window.t1) {
    // The chosen mark: a ring around it, wide enough to clear every mark shape.
    ctx.strokeStyle = p.selection;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(Math.round(timeToX(selection.t, window, width)), laneCenterY(selection.lane), 11, 0, Math.PI * 2);
    ctx.stroke();
    ctx.lineWidth = 1;
  }

  if (cursorT !== null && cursorT >= window.t0 && cursorT <= window.t1) {
    // The pinned moment: a line through every lane and track, its time on the axis.
    const x = Math.round(timeToX(cursorT, window, width));
    ctx.fillStyle = p.cursor;
    ctx.fillRect(x - 1, AXIS_HEIGHT, 2, height - AXIS_HEIGHT);
    const text = formatCursorMs(cursorT);
    ctx.font = '600 11px system-ui, sans-serif';
    const w = ctx.measureText(text).width + 10;
    const left = Math.min(Math.max(x - w / 2, 0), width - w);
    ctx.fillRect(left, 3, w, AXIS_HEIGHT - 6);
    ctx.fillStyle = p.cursorText;
    ctx.fillText(text, left + 5, AXIS_HEIGHT / 2);
    ctx.font = '11px system-ui, sans-serif';
  }
}

/**
 * One buffer's level as a filled step line: each level holds until the next report, the last one until
 * the end of what is known (`endT`). Bounded buffers scale to their capacity (a dashed line marks
 * "full"); unbounded ones to the highest level seen.
 */
function paintOccupancy(
  ctx: CanvasRenderingContext2D,
  p: TracePalette,
  track: OccupancyTrack,
  top: number,
  window: TimeWindow,
  width: number,
  endT: number,
): void {
  const { times, used } = track;
  if (times.length === 0) return;
  const yBottom = top + OCCUPANCY_HEIGHT - OCCUPANCY_PAD;
  const yFull = top + OCCUPANCY_PAD;
  const scale = Math.max(track.capacity ?? track.maxUsed, 1);
  const yOf = (level: number) => yBottom - (Math.min(level, scale) / scale) * (yBottom - yFull);

  ctx.save();
  ctx.beginPath();
  ctx.rect(0, top, width, OCCUPANCY_HEIGHT);
  ctx.clip();

  // The "full" line (or, unbounded, the highest level seen).
  ctx.fillStyle = p.fullLine;
  for (let x = 0; x < width; x += 6) ctx.fillRect(x, Math.round(yFull), 3, 1);
  ctx.fillStyle = p.fullText;
  ctx.font = '10px system-ui, sans-serif';
  ctx.textBaseline = 'top';
  ctx.fillText(track.capacity === null ? `max ${track.maxUsed}` : `full (${track.capacity})`, 4, yFull + 2);
  ctx.textBaseline = 'middle';
  ctx.font = '11px system-ui, sans-serif';

  if (endT < window.t0 || times[0]! > window.t1) {
    ctx.restore();
    return;
  }
  const first = Math.max(indexAtOrBefore(times, window.t0), 0);
  const x0 = timeToX(times[first]!, window, width);
  const xEnd = timeToX(Math.min(Math.max(endT, times[times.length - 1]!), window.t1 + (window.t1 - window.t0)), window, width);

  ctx.beginPath();
  ctx.moveTo(x0, yBottom);
  let prevY = yOf(used[first]!);
  ctx.lineTo(x0, prevY);
  // Steps in one pixel column are merged: the column rises to its highest level and ends at its last.
  let colX = Math.round(x0);
  let colTop = prevY;
  let colLast = prevY;
  const flush = () => {
    ctx.lineTo(colX, prevY);
    ctx.lineTo(colX, colTop);
    ctx.lineTo(colX, colLast);
    prevY = colLast;
  };
  for (let i = first + 1; i < times.length; i++) {
    const t = times[i]!;
    if (t > window.t1) break;
    const x = Math.round(timeToX(t, window, width));
    const y = yOf(used[i]!);
    if (x === colX) {
      colTop = Math.min(colTop, y);
      colLast = y;
      continue;
    }
    flush();
    colX = x;
    colTop = y;
    colLast = y;
  }
  flush();
  ctx.lineTo(xEnd, prevY);
  ctx.lineTo(xEnd, yBottom);
  ctx.closePath();
  ctx.fillStyle = p.occupancyFill;
  ctx.fill();
  ctx.strokeStyle = p.occupancy;
  ctx.lineWidth = 1.5;
  ctx.stroke();
  ctx.lineWidth = 1;
  ctx.restore();
}

/** One mark's glyph centred on (x, y); exported so the legend draws each kind exactly as the timeline does. */
export function drawMark(ctx: CanvasRenderingContext2D, p: TracePalette, mark: Mark, x: number, y: number): void {
  ctx.fillStyle = p.marks[mark.kind];
  switch (mark.kind) {
    case 'io':
      ctx.fillRect(x, y - 4, 1, 8);
      return;
    case 'send':
    case 'receive':
    case 'output':
    case 'note':
    case 'create':
    case 'measure':
      ctx.fillRect(x - 1, y - 7, 2, 14);
      return;
    case 'start':
      ctx.beginPath();
      ctx.arc(x, y, 5, 0, Math.PI * 2);
      ctx.fill();
      return;
    case 'exit':
    case 'close':
      ctx.fillRect(x - 4, y - 4, 8, 8);
      return;
    case 'killed':
      // A cross: the process was ended from outside.
      ctx.strokeStyle = p.marks.killed;
      ctx.lineWidth = 3;
      ctx.beginPath();
      ctx.moveTo(x - 6, y - 6);
      ctx.lineTo(x + 6, y + 6);
      ctx.moveTo(x + 6, y - 6);
      ctx.lineTo(x - 6, y + 6);
      ctx.stroke();
      ctx.lineWidth = 1;
      return;
    case 'reap':
      // A hollow square: a child of this process ended and its waitpid returned.
      ctx.strokeStyle = p.marks.reap;
      ctx.lineWidth = 1.5;
      ctx.strokeRect(x - 3.5, y - 3.5, 7, 7);
      ctx.lineWidth = 1;
      return;
    case 'eof':
      ctx.beginPath();
      ctx.moveTo(x, y - 7);
      ctx.lineTo(x + 6, y);
      ctx.lineTo(x, y + 7);
      ctx.lineTo(x - 6, y);
      ctx.closePath();
      ctx.fill();
      return;
    case 'error':
    case 'warning':
    case 'rejected':
      ctx.beginPath();
      ctx.moveTo(x, y - 8);
      ctx.lineTo(x + 7, y + 6);
      ctx.lineTo(x - 7, y + 6);
      ctx.closePath();
      ctx.fill();
      ctx.fillStyle = p.markCut;
      ctx.fillRect(x - 0.5, y - 3, 1.5, 5);
      return;
  }
}

/** The mark nearest to (x, y) within a few pixels, for the hover card. */
export function hitTest(model: TraceScene, window: TimeWindow, width: number, x: number, y: number): { lane: number; mark: Mark } | null {
  const lane = Math.floor((y - AXIS_HEIGHT) / LANE_HEIGHT);
  if (lane < 0 || lane >= model.lanes.length) return null;
  let best: Mark | null = null;
  let bestDistance = 6;
  for (const mark of model.marks[lane]!) {
    const distance = Math.abs(timeToX(mark.t, window, width) - x);
    if (distance < bestDistance || (distance === bestDistance && best && mark.kind !== 'io')) {
      best = mark;
      bestDistance = distance;
    }
  }
  return best ? { lane, mark: best } : null;
}
