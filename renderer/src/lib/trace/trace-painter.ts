/**
 * Draws a TraceModel on a canvas, Perfetto style: synchronous, one pass, never a DOM node per event.
 * Marks closer than a pixel to the previous one of the same kind in the same lane are skipped, so a
 * run of 100k events costs a loop, not 100k paths.
 */
import type { Mark, MarkKind, TraceModel } from './trace-model.js';

export const LANE_HEIGHT = 44;
export const AXIS_HEIGHT = 26;
const PAD_X = 12;

export interface TimeWindow {
  /** Visible window, in ms since the run started. */
  t0: number;
  t1: number;
}

export const MARK_COLORS: Record<MarkKind, string> = {
  start: '#0f766e',
  exit: '#1f2937',
  create: '#b45309',
  io: '#94a3b8',
  send: '#2563eb',
  receive: '#16a34a',
  eof: '#7c3aed',
  error: '#dc2626',
  close: '#475569',
  measure: '#db2777',
  note: '#64748b',
  output: '#0369a1',
  warning: '#ea580c',
  rejected: '#b91c1c',
};

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

/** `nowT`: while the run goes on, how far it has got (ms since its start, estimated from the wall clock). */
export function paintTrace(
  ctx: CanvasRenderingContext2D,
  model: TraceModel,
  window: TimeWindow,
  width: number,
  height: number,
  nowT: number | null = null,
): void {
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';

  // Lane bands.
  for (const lane of model.lanes) {
    const y = AXIS_HEIGHT + lane.index * LANE_HEIGHT;
    ctx.fillStyle = lane.index % 2 === 0 ? '#f8fafc' : '#ffffff';
    ctx.fillRect(0, y, width, LANE_HEIGHT);
    ctx.fillStyle = '#e2e8f0';
    ctx.fillRect(0, y + LANE_HEIGHT - 1, width, 1);
  }

  // Axis and grid.
  const span = Math.max(window.t1 - window.t0, 1e-6);
  const step = tickStep(span, Math.max(2, Math.floor(width / 110)));
  ctx.fillStyle = '#f1f5f9';
  ctx.fillRect(0, 0, width, AXIS_HEIGHT);
  ctx.fillStyle = '#cbd5e1';
  ctx.fillRect(0, AXIS_HEIGHT - 1, width, 1);
  for (let t = Math.ceil(window.t0 / step) * step; t <= window.t1; t += step) {
    const x = Math.round(timeToX(t, window, width)) + 0.5;
    ctx.fillStyle = '#e2e8f0';
    ctx.fillRect(x, AXIS_HEIGHT, 1, height - AXIS_HEIGHT);
    ctx.fillStyle = '#475569';
    ctx.fillRect(x, AXIS_HEIGHT - 6, 1, 6);
    ctx.fillText(formatTick(t, step), x + 3, AXIS_HEIGHT / 2 - 2);
  }

  if (nowT !== null && nowT >= window.t0 && nowT <= window.t1) {
    // The "now" line of a live run.
    const x = Math.round(timeToX(nowT, window, width)) + 0.5;
    ctx.fillStyle = 'rgba(36, 87, 197, 0.5)';
    ctx.fillRect(x, AXIS_HEIGHT, 1, height - AXIS_HEIGHT);
  }

  const visible = (t: number) => t >= window.t0 - span * 0.01 && t <= window.t1 + span * 0.01;

  // Blocked bars under everything else.
  for (const bar of [...model.bars, ...model.openBars(nowT)]) {
    if (bar.t1 < window.t0 || bar.t0 > window.t1) continue;
    const x0 = Math.max(timeToX(bar.t0, window, width), 0);
    const x1 = Math.min(timeToX(bar.t1, window, width), width);
    const y = laneCenterY(bar.lane);
    ctx.fillStyle = 'rgba(234, 88, 12, 0.22)';
    ctx.fillRect(x0, y - 9, Math.max(x1 - x0, 2), 18);
    ctx.fillStyle = '#ea580c';
    ctx.fillRect(x0, y - 9, Math.max(x1 - x0, 2), 2);
    if (bar.open) {
      // A ragged right edge: the call had not returned when last seen.
      for (let yy = y - 9; yy < y + 9; yy += 4) ctx.fillRect(x1 - 2, yy, 2, 2);
    }
    const textWidth = ctx.measureText(bar.label).width;
    if (x1 - x0 > textWidth + 8) {
      ctx.fillStyle = '#9a3412';
      ctx.fillText(bar.label, x0 + 4, y + 2);
    }
  }

  // Message arrows.
  ctx.strokeStyle = 'rgba(37, 99, 235, 0.55)';
  ctx.fillStyle = 'rgba(37, 99, 235, 0.8)';
  ctx.lineWidth = 1;
  let lastX0 = NaN;
  let lastX1 = NaN;
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
    ctx.beginPath();
    ctx.moveTo(x0, ya);
    ctx.lineTo(x1, yb);
    ctx.stroke();
    const angle = Math.atan2(yb - ya, x1 - x0);
    ctx.beginPath();
    ctx.moveTo(x1, yb);
    ctx.lineTo(x1 - 6 * Math.cos(angle - 0.4), yb - 6 * Math.sin(angle - 0.4));
    ctx.lineTo(x1 - 6 * Math.cos(angle + 0.4), yb - 6 * Math.sin(angle + 0.4));
    ctx.closePath();
    ctx.fill();
  }

  // Marks, lane by lane.
  for (const lane of model.lanes) {
    const marks = model.marks[lane.index]!;
    const y = laneCenterY(lane.index);
    const lastX = new Map<MarkKind, number>();
    let lastLabelX = -Infinity;
    for (const mark of marks) {
      if (!visible(mark.t)) continue;
      const x = Math.round(timeToX(mark.t, window, width));
      if (lastX.get(mark.kind) === x) continue;
      lastX.set(mark.kind, x);
      drawMark(ctx, mark, x, y);
      if (mark.label && x - lastLabelX > 48) {
        ctx.fillStyle = MARK_COLORS[mark.kind];
        ctx.font = '600 11px system-ui, sans-serif';
        const labelWidth = ctx.measureText(mark.label).width;
        // Near the right edge, put the label on the mark's left so it is not cut off.
        ctx.fillText(mark.label, x + 7 + labelWidth > width - 2 ? x - 7 - labelWidth : x + 7, y - 12);
        ctx.font = '11px system-ui, sans-serif';
        lastLabelX = x;
      }
    }
  }
}

function drawMark(ctx: CanvasRenderingContext2D, mark: Mark, x: number, y: number): void {
  ctx.fillStyle = MARK_COLORS[mark.kind];
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
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(x - 0.5, y - 3, 1.5, 5);
      return;
  }
}

/** The mark nearest to (x, y) within a few pixels, for the hover card. */
export function hitTest(model: TraceModel, window: TimeWindow, width: number, x: number, y: number): { lane: number; mark: Mark } | null {
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
