/**
 * Where every mark of a measured chart goes (a line chart of a check's curves: main/contract/lab-model.ts
 * `MeasuredChart`): the axes' domains and ticks, each series' line and markers, the legend's styles and
 * the sentence a screen reader hears. Pure numbers and strings, no DOM, so that the page
 * (renderer/src/lib/components/MeasuredChart.svelte) and the HTML report (main/report/chart-svg.ts)
 * draw the same chart from one geometry, and a unit test can read it.
 *
 * Scales: a linear axis runs from 0 (or its least value, when negative) to a "nice" value past its
 * largest (steps of 1, 2 or 5 times a power of ten), so that bars of speed-up or throughput are not
 * exaggerated by a cut-off axis; a log2 axis runs between the powers of two around its values, a tick
 * at each (every second or fourth one when there are many). Coordinates are written with one decimal,
 * so the same chart always gives the same bytes.
 */
import type { ChartScale, MeasuredChart } from './lab-model.js';

/** The drawing's size in SVG user units (a viewBox: it scales to its box). */
// Near the width it is shown at beside the timeline (about 400 px), so that its text stays at its size.
export const CHART_WIDTH = 420;
export const CHART_HEIGHT = 250;
const PLOT = { left: 62, right: CHART_WIDTH - 28, top: 12, bottom: CHART_HEIGHT - 44 };
const MARKER_RADIUS = 4.5;
const LINEAR_TICKS = 5;
const MAX_LOG_TICKS = 8;

export type MarkerShape = 'circle' | 'square' | 'triangle' | 'diamond' | 'triangle-down' | 'plus' | 'cross' | 'bar';

/**
 * One style per series, in order: a colour (a theme variable of renderer/src/theme.css, which has a
 * light and a dark value; `print` is its light value, for the report, which has no theme) and a
 * marker shape, so series stay apart in black and white and for readers who do not tell the colours apart.
 */
export const SERIES_STYLES: readonly { colourVar: string; print: string; marker: MarkerShape }[] = [
  { colourVar: '--mark-send', print: '#2563eb', marker: 'circle' },
  { colourVar: '--mark-create', print: '#b45309', marker: 'square' },
  { colourVar: '--mark-receive', print: '#15803d', marker: 'triangle' },
  { colourVar: '--mark-eof', print: '#7c3aed', marker: 'diamond' },
  { colourVar: '--mark-error', print: '#dc2626', marker: 'triangle-down' },
  { colourVar: '--mark-start', print: '#0f766e', marker: 'plus' },
  { colourVar: '--mark-measure', print: '#db2777', marker: 'cross' },
  { colourVar: '--mark-output', print: '#0369a1', marker: 'bar' },
];

export interface ChartTick {
  value: number;
  /** Position along the axis, in user units (x for the x axis, y for the y axis). */
  at: number;
  label: string;
}

export interface ChartAxisLayout {
  scale: ChartScale;
  /** The value range the axis spans. */
  min: number;
  max: number;
  ticks: ChartTick[];
  /** "message size (bytes)": the axis title. */
  title: string;
}

export interface SeriesLayout {
  name: string;
  /** Index into SERIES_STYLES. */
  style: number;
  colourVar: string;
  print: string;
  marker: MarkerShape;
  /** The line through the points in order of x (`d` of a path); empty with fewer than two points. */
  line: string;
  points: { x: number; y: number; px: number; py: number; marker: string }[];
}

export interface ChartLayout {
  width: number;
  height: number;
  plot: { left: number; right: number; top: number; bottom: number };
  x: ChartAxisLayout;
  y: ChartAxisLayout;
  series: SeriesLayout[];
  /** What the drawing shows, for `aria-label`: the axes, the series, and where the numbers are. */
  description: string;
}

/** The whole chart's geometry. */
export function chartLayout(chart: MeasuredChart): ChartLayout {
  const xs = chart.series.flatMap((s) => s.points.map((p) => p.x));
  const ys = chart.series.flatMap((s) => s.points.map((p) => p.y));
  const x = axisLayout(chart.x.scale, xs, chart.x.label, chart.x.unit, PLOT.left, PLOT.right);
  const y = axisLayout(chart.y.scale, ys, chart.y.label, chart.y.unit, PLOT.bottom, PLOT.top);
  const px = position(x, PLOT.left, PLOT.right);
  const py = position(y, PLOT.bottom, PLOT.top);
  const series = chart.series.map((s, index): SeriesLayout => {
    const style = SERIES_STYLES[index % SERIES_STYLES.length]!;
    const points = [...s.points]
      .sort((a, b) => a.x - b.x)
      .map((p) => {
        const at = { x: p.x, y: p.y, px: px(p.x), py: py(p.y) };
        return { ...at, marker: markerPath(style.marker, at.px, at.py) };
      });
    const line = points.length < 2 ? '' : points.map((p, i) => `${i === 0 ? 'M' : 'L'}${fixed(p.px)} ${fixed(p.py)}`).join(' ');
    return { name: s.name, style: index, ...style, line, points };
  });
  const names = chart.series.map((s) => s.name).join(', ');
  const description =
    `${chart.title}: ${y.title} against ${x.title}${x.scale === 'log2' ? ' (log2 scale)' : ''}, ` +
    `${chart.series.length === 1 ? 'one series' : `${chart.series.length} series`}${names ? ` (${names})` : ''}. Every point is in the table of numbers.`;
  return { width: CHART_WIDTH, height: CHART_HEIGHT, plot: { ...PLOT }, x, y, series, description };
}

function axisLayout(scale: ChartScale, values: number[], label: string, unit: string, from: number, to: number): ChartAxisLayout {
  const domain = scale === 'log2' ? log2Domain(values) : linearDomain(values);
  const tickValues = scale === 'log2' ? log2Ticks(domain.min, domain.max) : linearTicks(domain.min, domain.max);
  // Every 2nd or 4th power may stop short of the top: the axis then runs on to the next tick, so both ends are labelled.
  domain.max = Math.max(domain.max, tickValues.at(-1)!);
  const axis: ChartAxisLayout = { scale, ...domain, ticks: [], title: `${label} (${unit})` };
  const at = position(axis, from, to);
  axis.ticks = tickValues.map((value) => ({ value, at: Number(fixed(at(value))), label: tickLabel(value, unit) }));
  return axis;
}

/** Maps a value of the axis to user units between `from` (the axis' min) and `to` (its max). */
function position(axis: Pick<ChartAxisLayout, 'scale' | 'min' | 'max'>, from: number, to: number): (v: number) => number {
  const t = axis.scale === 'log2' ? (v: number) => Math.log2(v) : (v: number) => v;
  const lo = t(axis.min);
  const span = t(axis.max) - lo;
  return (v) => from + ((t(v) - lo) / span) * (to - from);
}

/** From 0 (or the least value, if below 0) to a nice step past the largest; [0, 1] when there is nothing to show. */
export function linearDomain(values: number[]): { min: number; max: number } {
  let lo = Math.min(0, ...values);
  let hi = Math.max(0, ...values);
  if (lo === hi) hi = lo + 1;
  const step = niceStep((hi - lo) / LINEAR_TICKS);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  return { min: lo, max: hi };
}

/** Between the powers of two around the values; one power either side of a single value. */
export function log2Domain(values: number[]): { min: number; max: number } {
  if (values.length === 0) return { min: 1, max: 2 };
  let lo = Math.floor(Math.log2(Math.min(...values)));
  let hi = Math.ceil(Math.log2(Math.max(...values)));
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  return { min: 2 ** lo, max: 2 ** hi };
}

/** 1, 2 or 5 times a power of ten, at least `rough`. */
function niceStep(rough: number): number {
  const power = 10 ** Math.floor(Math.log10(rough));
  const m = rough / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

export function linearTicks(min: number, max: number): number[] {
  const step = niceStep((max - min) / LINEAR_TICKS);
  const ticks: number[] = [];
  // Multiples of the step, counted as integers so that 0.1 + 0.2 never shows as 0.30000000000000004.
  for (let i = Math.ceil(min / step - 1e-9); i * step <= max + step * 1e-9; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/**
 * Each power of two from min to max, or every 2nd, 4th... so that at most MAX_LOG_TICKS show; the last
 * is at or past max (the axis is stretched to it).
 */
export function log2Ticks(min: number, max: number): number[] {
  const lo = Math.round(Math.log2(min));
  const hi = Math.round(Math.log2(max));
  let every = 1;
  while ((hi - lo) / every + 1 > MAX_LOG_TICKS) every *= 2;
  const ticks: number[] = [];
  for (let e = lo; e < hi + every; e += every) ticks.push(2 ** e);
  return ticks;
}

/** A tick's text: bytes with binary prefixes (64 B, 4 KiB, 1 MiB), other values short (1.5, 2,048, 12k, 3.2M). */
export function tickLabel(value: number, unit: string): string {
  if (isBytes(unit)) {
    const abs = Math.abs(value);
    for (const [size, prefix] of [
      [2 ** 30, 'GiB'],
      [2 ** 20, 'MiB'],
      [2 ** 10, 'KiB'],
    ] as const)
      if (abs >= size) return `${shortNumber(value / size)} ${prefix}`;
    return `${shortNumber(value)} B`;
  }
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${shortNumber(value / 1e6)}M`;
  if (abs >= 1e4) return `${shortNumber(value / 1e3)}k`;
  return shortNumber(value);
}

function isBytes(unit: string): boolean {
  return unit === 'bytes' || unit === 'B';
}

/** At most three significant digits past the integer part, with thousands separators. */
function shortNumber(v: number): string {
  return Number(v.toPrecision(Math.max(3, Math.floor(Math.log10(Math.abs(v) || 1)) + 1))).toLocaleString('en');
}

/** A value as the table of numbers shows it: in full (up to 6 significant digits), with its unit. */
export function valueText(value: number, unit: string): string {
  return `${Number(value.toPrecision(6)).toLocaleString('en', { maximumFractionDigits: 6 })} ${unit}`;
}

/** The `d` of a marker of `shape` centred on (cx, cy). */
export function markerPath(shape: MarkerShape, cx: number, cy: number, r = MARKER_RADIUS): string {
  const p = (dx: number, dy: number) => `${fixed(cx + dx)} ${fixed(cy + dy)}`;
  switch (shape) {
    case 'circle':
      return `M${p(-r, 0)} A${fixed(r)} ${fixed(r)} 0 1 0 ${p(r, 0)} A${fixed(r)} ${fixed(r)} 0 1 0 ${p(-r, 0)} Z`;
    case 'square':
      return `M${p(-r, -r)} L${p(r, -r)} L${p(r, r)} L${p(-r, r)} Z`;
    case 'triangle':
      return `M${p(0, -r * 1.2)} L${p(r * 1.1, r * 0.8)} L${p(-r * 1.1, r * 0.8)} Z`;
    case 'triangle-down':
      return `M${p(0, r * 1.2)} L${p(r * 1.1, -r * 0.8)} L${p(-r * 1.1, -r * 0.8)} Z`;
    case 'diamond':
      return `M${p(0, -r * 1.3)} L${p(r * 1.3, 0)} L${p(0, r * 1.3)} L${p(-r * 1.3, 0)} Z`;
    case 'plus':
      return `M${p(-r * 1.2, 0)} L${p(r * 1.2, 0)} M${p(0, -r * 1.2)} L${p(0, r * 1.2)}`;
    case 'cross':
      return `M${p(-r, -r)} L${p(r, r)} M${p(-r, r)} L${p(r, -r)}`;
    case 'bar':
      return `M${p(-r * 0.5, -r * 1.2)} L${p(r * 0.5, -r * 1.2)} L${p(r * 0.5, r * 1.2)} L${p(-r * 0.5, r * 1.2)} Z`;
  }
}

/** Whether a marker is drawn as strokes only (plus, cross) rather than a filled shape. */
export function markerIsStroke(shape: MarkerShape): boolean {
  return shape === 'plus' || shape === 'cross';
}

function fixed(v: number): string {
  return v.toFixed(1);
}
