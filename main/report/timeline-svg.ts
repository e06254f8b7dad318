/**
 * A TimelineSketch drawn as a static SVG for the HTML report: one row per process ("role (pid N)"),
 * a time axis in ms along the top, calls as bars (blocked ones hatched and outlined, so they stay
 * distinct in black and white), messages as arrows from the send to the receive, and marks as small
 * symbols, each with a <title> tooltip. A legend under the rows says what each shape means.
 *
 * Fixed width in user units with a viewBox, so it scales to the page; no script, no external reference
 * (markers and patterns are local `url(#id)` fragments, prefixed so several drawings can share a page).
 * Every number is written with fixed decimals, so the same sketch always gives the same bytes.
 */
import type { TimelineMark, TimelineSketch } from '../contract/report-format.js';
import { escapeMarkup as esc } from './escape-markup.js';

export interface TimelineSvgOptions {
  /** Width in user units (default 900). */
  width?: number;
  /** Prefix of the ids inside the drawing, unique on the page (default "tl"). */
  idPrefix?: string;
  /** The drawing's title (default "Timeline of the run"). */
  title?: string;
}

const LABEL_WIDTH = 168;
const RIGHT_MARGIN = 16;
const AXIS_HEIGHT = 30;
const LANE_HEIGHT = 32;
const BAR_HEIGHT = 12;
const LEGEND_HEIGHT = 46;
const TARGET_TICKS = 8;
const MIN_AXIS_NS = 10_000;

const COLOURS = {
  text: '#1a1a1a',
  muted: '#555555',
  grid: '#d8d8d8',
  lifeline: '#8a8a8a',
  call: '#dce6f2',
  callStroke: '#4a5f7a',
  blocked: '#e8a33d',
  blockedStroke: '#000000',
  arrow: '#2b2b2b',
  mark: '#1a1a1a',
  error: '#b00020',
};

export function timelineSvg(sketch: TimelineSketch, options: TimelineSvgOptions = {}): string {
  const width = options.width ?? 900;
  const prefix = safeId(options.idPrefix ?? 'tl');
  const title = options.title ?? 'Timeline of the run';
  const plotLeft = LABEL_WIDTH + 8;
  const plotRight = width - RIGHT_MARGIN;
  const plotWidth = Math.max(1, plotRight - plotLeft);
  // The axis spans at least 10 µs, so that a run of one instant still gets readable ticks.
  const duration = Math.max(MIN_AXIS_NS, sketch.durationNs);
  const x = (ns: number): number => plotLeft + (Math.min(Math.max(ns, 0), duration) / duration) * plotWidth;
  const laneTop = (lane: number): number => AXIS_HEIGHT + lane * LANE_HEIGHT;
  const laneMid = (lane: number): number => laneTop(lane) + LANE_HEIGHT / 2;
  const lanesHeight = Math.max(1, sketch.lanes.length) * LANE_HEIGHT;
  const height = AXIS_HEIGHT + lanesHeight + LEGEND_HEIGHT;
  const ids = { title: `${prefix}-title`, desc: `${prefix}-desc`, hatch: `${prefix}-hatch`, arrow: `${prefix}-arrow` };

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" role="img" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMinYMin meet" aria-labelledby="${ids.title} ${ids.desc}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif" font-size="11">`,
  );
  out.push(`<title id="${ids.title}">${esc(title)}</title>`);
  out.push(`<desc id="${ids.desc}">${esc(describe(sketch))}</desc>`);
  out.push(
    '<defs>' +
      `<pattern id="${ids.hatch}" patternUnits="userSpaceOnUse" width="5" height="5" patternTransform="rotate(45)">` +
      `<rect width="5" height="5" fill="${COLOURS.blocked}"/><line x1="0" y1="0" x2="0" y2="5" stroke="#000000" stroke-width="1.6"/></pattern>` +
      `<marker id="${ids.arrow}" viewBox="0 0 8 8" refX="7.5" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse">` +
      `<path d="M0,0 L8,4 L0,8 z" fill="${COLOURS.arrow}"/></marker>` +
      '</defs>',
  );
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);

  if (sketch.lanes.length === 0) {
    out.push(
      `<text x="${n(width / 2)}" y="${n(AXIS_HEIGHT + LANE_HEIGHT / 2 + 4)}" text-anchor="middle" fill="${COLOURS.muted}">No process events were recorded for this run.</text>`,
    );
    out.push('</svg>');
    return out.join('\n');
  }

  // Time axis and grid.
  const ticks = tickStep(duration / 1e6);
  out.push('<g class="axis">');
  out.push(`<line x1="${n(plotLeft)}" y1="${AXIS_HEIGHT - 4}" x2="${n(plotRight)}" y2="${AXIS_HEIGHT - 4}" stroke="${COLOURS.muted}" stroke-width="0.8"/>`);
  for (let i = 0; ; i++) {
    const ms = i * ticks.step;
    if (ms * 1e6 > duration + 1e-9) break;
    const tx = x(ms * 1e6);
    const anchor = i === 0 ? 'start' : tx > plotRight - 20 ? 'end' : 'middle';
    out.push(`<line x1="${n(tx)}" y1="${AXIS_HEIGHT - 8}" x2="${n(tx)}" y2="${n(AXIS_HEIGHT + lanesHeight)}" stroke="${COLOURS.grid}" stroke-width="0.6"/>`);
    out.push(
      `<text x="${n(tx)}" y="${AXIS_HEIGHT - 12}" text-anchor="${anchor}" fill="${COLOURS.muted}" font-size="10">${ms.toFixed(ticks.decimals)} ms</text>`,
    );
  }
  out.push(`<text x="8" y="${AXIS_HEIGHT - 12}" fill="${COLOURS.muted}" font-size="10">time since the run started</text>`);
  out.push('</g>');

  // Lanes: label, separator, lifeline from start to end.
  out.push('<g class="lanes">');
  sketch.lanes.forEach((lane, i) => {
    const top = laneTop(i);
    const mid = laneMid(i);
    if (i > 0) out.push(`<line x1="0" y1="${n(top)}" x2="${width}" y2="${n(top)}" stroke="${COLOURS.grid}" stroke-width="0.6"/>`);
    const name = `${lane.role} (pid ${lane.pid})`;
    const life = `${name}: from ${ms(lane.startNs)}${lane.endNs !== null ? ` to ${ms(lane.endNs)}` : ''}${lane.exit ? `, ${lane.exit}` : ''}`;
    out.push(`<g><title>${esc(life)}</title>`);
    out.push(`<text x="8" y="${n(mid - 1)}" fill="${COLOURS.text}" font-weight="600">${esc(truncate(name, 26))}</text>`);
    if (lane.exit) out.push(`<text x="8" y="${n(mid + 11)}" fill="${COLOURS.muted}" font-size="10">${esc(truncate(lane.exit, 30))}</text>`);
    const end = lane.endNs ?? sketch.durationNs;
    out.push(
      `<line x1="${n(x(lane.startNs))}" y1="${n(mid)}" x2="${n(Math.max(x(end), x(lane.startNs) + 0.5))}" y2="${n(mid)}" stroke="${COLOURS.lifeline}" stroke-width="1" stroke-dasharray="${lane.endNs === null ? '3 2' : 'none'}"/>`,
    );
    out.push('</g>');
  });
  out.push('</g>');

  // Calls.
  out.push('<g class="slices">');
  for (const slice of sketch.slices) {
    const x0 = x(slice.startNs);
    const w = Math.max(0.8, x(slice.endNs) - x0);
    const y = laneMid(slice.lane) - BAR_HEIGHT / 2;
    const tip = `${slice.op} ${slice.label}: ${ms(slice.endNs - slice.startNs)} from ${ms(slice.startNs)}${slice.blocked ? ', blocked' : ''}`;
    const paint = slice.blocked
      ? `fill="url(#${ids.hatch})" stroke="${COLOURS.blockedStroke}" stroke-width="1"`
      : `fill="${COLOURS.call}" stroke="${COLOURS.callStroke}" stroke-width="0.5"`;
    out.push(`<rect x="${n(x0)}" y="${n(y)}" width="${n(w)}" height="${BAR_HEIGHT}" ${paint}><title>${esc(tip)}</title></rect>`);
  }
  out.push('</g>');

  // Messages.
  out.push('<g class="arrows">');
  for (const arrow of sketch.arrows) {
    const x1 = x(arrow.fromNs);
    const y1 = laneMid(arrow.fromLane);
    const x2 = x(arrow.toNs);
    const y2 = laneMid(arrow.toLane);
    const tip = `${arrow.label}: sent at ${ms(arrow.fromNs)}, received at ${ms(arrow.toNs)}`;
    out.push(
      `<g><title>${esc(tip)}</title><line x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}" stroke="${COLOURS.arrow}" stroke-width="0.9" marker-end="url(#${ids.arrow})"/></g>`,
    );
  }
  out.push('</g>');

  // Marks.
  out.push('<g class="marks">');
  for (const mark of sketch.marks) {
    const cx = x(mark.atNs);
    const cy = laneMid(mark.lane);
    out.push(`<g><title>${esc(`${mark.label} (at ${ms(mark.atNs)})`)}</title>${symbol(mark.kind, cx, cy, mark.label)}</g>`);
  }
  out.push('</g>');

  // Legend.
  const ly = AXIS_HEIGHT + lanesHeight + 18;
  const items: [string, string][] = [
    [`<rect x="0" y="-6" width="18" height="${BAR_HEIGHT}" fill="${COLOURS.call}" stroke="${COLOURS.callStroke}" stroke-width="0.5"/>`, 'call'],
    [`<rect x="0" y="-6" width="18" height="${BAR_HEIGHT}" fill="url(#${ids.hatch})" stroke="#000000" stroke-width="1"/>`, 'blocked call'],
    [`<line x1="0" y1="0" x2="18" y2="0" stroke="${COLOURS.arrow}" stroke-width="0.9" marker-end="url(#${ids.arrow})"/>`, 'message'],
    [symbol('start', 5, 0, ''), 'start'],
    [symbol('exit', 5, 0, ''), 'exit'],
    [symbol('signal', 5, 0, ''), 'signal'],
    [symbol('eof', 5, 0, ''), 'end of file'],
    [symbol('error', 5, 0, ''), 'error'],
    [symbol('note', 5, 0, ''), 'note'],
    [symbol('check', 5, 0, 'check passed'), 'check'],
  ];
  out.push(`<g class="legend" font-size="10" fill="${COLOURS.text}">`);
  let lx = 8;
  let row = 0;
  for (const [shape, text] of items) {
    const itemWidth = (shape.startsWith('<rect') || shape.startsWith('<line') ? 24 : 14) + text.length * 5.6 + 14;
    if (lx + itemWidth > width - 8) {
      lx = 8;
      row++;
    }
    const gy = ly + row * 16;
    const shift = shape.startsWith('<rect') || shape.startsWith('<line') ? 24 : 14;
    out.push(`<g transform="translate(${n(lx)} ${n(gy)})">${shape}<text x="${shift}" y="4">${esc(text)}</text></g>`);
    lx += itemWidth;
  }
  if (sketch.simplified > 0) {
    out.push(
      `<text x="${width - 8}" y="${n(ly + (row + 1) * 16)}" text-anchor="end" fill="${COLOURS.muted}">${sketch.simplified} items merged or left out to keep the drawing small</text>`,
    );
  }
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n');
}

/** One sentence or three saying what the drawing shows, for <desc> and for readers without the image. */
export function describe(sketch: TimelineSketch): string {
  if (sketch.lanes.length === 0) return 'No process events were recorded for this run.';
  const blocked = sketch.slices.filter((s) => s.blocked).length;
  const parts = [
    `${count(sketch.lanes.length, 'process', 'processes')} over ${ms(sketch.durationNs)}, one row each: ${sketch.lanes.map((l) => `${l.role} (pid ${l.pid})${l.exit ? `, ${l.exit}` : ''}`).join('; ')}.`,
    `${count(sketch.slices.length, 'call')} drawn as bars, ${blocked} of them blocked (hatched).`,
    `${count(sketch.arrows.length, 'message')} drawn as arrows from the send to the receive.`,
    `${count(sketch.marks.length, 'mark')}: process starts and ends, end of file, errors, notes and the checks' moments.`,
  ];
  if (sketch.simplified > 0) parts.push(`${sketch.simplified} items were merged or left out to keep the drawing small.`);
  return parts.join(' ');
}

function symbol(kind: TimelineMark['kind'], cx: number, cy: number, label: string): string {
  const c = COLOURS.mark;
  switch (kind) {
    case 'start':
      return `<circle cx="${n(cx)}" cy="${n(cy)}" r="3.5" fill="#ffffff" stroke="${c}" stroke-width="1.2"/>`;
    case 'exit':
      return `<rect x="${n(cx - 3.5)}" y="${n(cy - 3.5)}" width="7" height="7" fill="${c}"/>`;
    case 'signal':
      return `<path d="M${n(cx - 4)},${n(cy - 4)} L${n(cx + 4)},${n(cy + 4)} M${n(cx + 4)},${n(cy - 4)} L${n(cx - 4)},${n(cy + 4)}" stroke="${COLOURS.error}" stroke-width="2"/>`;
    case 'eof':
      return `<path d="M${n(cx - 4)},${n(cy - 4)} L${n(cx + 4)},${n(cy - 4)} L${n(cx)},${n(cy + 3)} z" fill="#ffffff" stroke="${c}" stroke-width="1.2"/>`;
    case 'error':
      return `<path d="M${n(cx)},${n(cy - 5)} L${n(cx + 4.5)},${n(cy)} L${n(cx)},${n(cy + 5)} L${n(cx - 4.5)},${n(cy)} z" fill="${COLOURS.error}" stroke="#000000" stroke-width="0.6"/>`;
    case 'note':
      return `<circle cx="${n(cx)}" cy="${n(cy)}" r="2.2" fill="${COLOURS.muted}"/>`;
    case 'check': {
      // A flag above the row: a tick when the check passed, a cross when it failed.
      const passed = label.startsWith('check passed');
      const top = cy - LANE_HEIGHT / 2 + 2;
      const flag = `<line x1="${n(cx)}" y1="${n(top)}" x2="${n(cx)}" y2="${n(cy + 6)}" stroke="${c}" stroke-width="0.9"/><path d="M${n(cx)},${n(top)} L${n(cx + 9)},${n(top + 3.5)} L${n(cx)},${n(top + 7)} z" fill="#ffffff" stroke="${c}" stroke-width="0.8"/>`;
      const sign = passed
        ? `<path d="M${n(cx + 1.8)},${n(top + 3.6)} L${n(cx + 3.4)},${n(top + 5.2)} L${n(cx + 6.2)},${n(top + 1.8)}" fill="none" stroke="${c}" stroke-width="1"/>`
        : `<path d="M${n(cx + 2)},${n(top + 1.8)} L${n(cx + 5.4)},${n(top + 5.2)} M${n(cx + 5.4)},${n(top + 1.8)} L${n(cx + 2)},${n(top + 5.2)}" stroke="${COLOURS.error}" stroke-width="1"/>`;
      return flag + sign;
    }
  }
}

/** A round step in ms (1, 2 or 5 times a power of ten) giving about TARGET_TICKS ticks, and the decimals its labels need. */
export function tickStep(durationMs: number): { step: number; decimals: number } {
  const raw = Math.max(durationMs, 1e-6) / TARGET_TICKS;
  const power = Math.floor(Math.log10(raw));
  const base = 10 ** power;
  const mantissa = raw / base;
  const nice = mantissa <= 1 ? 1 : mantissa <= 2 ? 2 : mantissa <= 5 ? 5 : 10;
  const step = Number((nice * base).toPrecision(6));
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return { step, decimals: Math.min(decimals, 6) };
}

/** A duration or a time in ms, with the decimals its size needs: "0.021 ms", "4.25 ms", "12.4 ms", "1203 ms". */
export function ms(ns: number): string {
  const value = ns / 1e6;
  const abs = Math.abs(value);
  const text = abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : abs >= 1 ? value.toFixed(2) : value.toFixed(3);
  return `${text === '-0' || /^-0\.0+$/.test(text) ? text.slice(1) : text} ms`;
}

/** A coordinate with one decimal, never "-0.0". */
function n(value: number): string {
  const text = value.toFixed(1);
  return text === '-0.0' ? '0.0' : text;
}

function count(k: number, one: string, many = `${one}s`): string {
  return `${k} ${k === 1 ? one : many}`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function safeId(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '-');
}

/** Control characters XML does not allow in a document; they become U+FFFD. */
