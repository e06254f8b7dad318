/**
 * The event list as a virtual list (issue 13): the page holds one block of rows, a page of the run's
 * events in time order asked of the engine (`trace.events`), never the whole trace. Every row has the
 * same height, so a scroll position is a row position and the rows above and below the block are one
 * spacer each. Plain TS, so unit tests run it under Node; `event-list.svelte.ts` holds the state.
 */
import type { CommandRequest } from '../../../../main/contract/commands.js';
import type { StoredEvent } from '../../../../main/contract/trace-events.js';

/** Each row's height in CSS pixels: EventList.svelte's rows are exactly this tall (one line, ellipsis). */
export const EVENT_ROW_PX = 24;
/**
 * How many rows one block holds: a few screens' worth, so scrolling a little never waits on the
 * engine, and the latest 300 events are in the page while it follows a run (as the list always showed).
 */
export const EVENT_BLOCK_ROWS = 300;
/** Rows kept loaded beyond each edge of what is visible before a new block is asked for. */
export const EVENT_OVERSCAN_ROWS = 40;
/** At most this many `trace.events` requests a second (the list waits, then asks once for the latest). */
export const EVENT_REQUESTS_PER_SECOND = 10;

/** What the student asked the list to keep; empty fields keep everything. */
export interface EventFilterForm {
  text: string;
  kind: string;
  pid: number | null;
  channel: string;
}

export const NO_FILTER: EventFilterForm = { text: '', kind: '', pid: null, channel: '' };

type TraceFilter = NonNullable<CommandRequest<'trace.events'>['filter']>;

/** The engine's filter for the form: blank text and the "any" choices are left out (the engine rejects an empty text). */
export function traceFilterOf(form: EventFilterForm): TraceFilter {
  const filter: TraceFilter = {};
  const text = form.text.trim();
  if (text !== '') filter.text = text;
  if (form.kind !== '') filter.kinds = [form.kind];
  if (form.pid !== null) filter.pids = [form.pid];
  const channel = form.channel.trim();
  if (channel !== '') filter.channel = channel;
  return filter;
}

export function isFiltered(form: EventFilterForm): boolean {
  return Object.keys(traceFilterOf(form)).length > 0;
}

/** The loaded block: `events[i]` is the filtered event at position `start + i`. */
export interface EventBlock {
  start: number;
  events: readonly StoredEvent[];
}

/** The rows on screen: the first visible position and how many fit. */
export interface Viewport {
  first: number;
  count: number;
}

/** The rows visible at a scroll offset (px into the rows, below the header) in a box `height` px tall. */
export function viewportAt(scrollTop: number, height: number, total: number): Viewport {
  const first = Math.min(Math.max(Math.floor(scrollTop / EVENT_ROW_PX), 0), Math.max(total - 1, 0));
  const count = Math.max(Math.ceil(height / EVENT_ROW_PX) + 1, 1);
  return { first, count: Math.min(count, Math.max(total - first, 0)) };
}

/**
 * Whether the block holds what is visible and the overscan around it (as far as there are events).
 * An empty block covers an empty list.
 */
export function covers(block: EventBlock, view: Viewport, total: number): boolean {
  const want0 = Math.max(view.first - EVENT_OVERSCAN_ROWS, 0);
  const want1 = Math.min(view.first + view.count + EVENT_OVERSCAN_ROWS, total);
  if (want1 <= want0) return true;
  return block.start <= want0 && block.start + block.events.length >= want1;
}

/** Where to start a block so that the viewport sits in its middle, within [0, total - block]. */
export function blockStartFor(view: Viewport, total: number): number {
  const start = view.first - Math.floor((EVENT_BLOCK_ROWS - view.count) / 2);
  return Math.min(Math.max(start, 0), Math.max(total - EVENT_BLOCK_ROWS, 0));
}

/** The page request for the list's next block, without the run and the filter. */
export type PageRequest = Pick<CommandRequest<'trace.events'>, 'from' | 'direction' | 'limit'>;

/**
 * What to ask the engine: following the end, the last block (from the largest time: the true end,
 * whatever has been stored since the last answer); else the block around the viewport.
 */
export function pageRequestFor(following: boolean, view: Viewport, total: number): PageRequest {
  if (following) return { from: { ts: Number.MAX_SAFE_INTEGER }, direction: 'backward', limit: EVENT_BLOCK_ROWS };
  return { from: { index: blockStartFor(view, total) }, direction: 'forward', limit: EVENT_BLOCK_ROWS };
}

/** The event at a position, when it is loaded. */
export function eventAt(block: EventBlock, index: number): StoredEvent | null {
  return block.events[index - block.start] ?? null;
}

/** The position of the event with `seq` in the block, or -1. */
export function indexOfSeq(block: EventBlock, seq: number): number {
  const i = block.events.findIndex((e) => e.seq === seq);
  return i < 0 ? -1 : block.start + i;
}

/**
 * Where a key moves the selection among `total` rows (`pageRows` visible): ↑ ↓ one row, Page Up / Down a
 * screen, Home / End the ends. Null for any other key; with nothing selected a move starts at the first row
 * (↑ and End at the last).
 */
export function keyTarget(key: string, current: number | null, total: number, pageRows: number): number | null {
  if (total === 0) return null;
  const last = total - 1;
  const page = Math.max(pageRows - 1, 1);
  if (current === null) {
    if (key === 'ArrowUp' || key === 'End') return last;
    if (key === 'ArrowDown' || key === 'Home' || key === 'PageDown' || key === 'PageUp') return 0;
    return null;
  }
  const clamp = (i: number) => Math.min(Math.max(i, 0), last);
  switch (key) {
    case 'ArrowDown':
      return clamp(current + 1);
    case 'ArrowUp':
      return clamp(current - 1);
    case 'PageDown':
      return clamp(current + page);
    case 'PageUp':
      return clamp(current - page);
    case 'Home':
      return 0;
    case 'End':
      return last;
    default:
      return null;
  }
}

/** The scroll offset (px into the rows) that brings row `index` into a box `height` px tall, or null when it is in view. */
export function scrollToShow(index: number, scrollTop: number, height: number): number | null {
  const top = index * EVENT_ROW_PX;
  if (top < scrollTop) return top;
  if (top + EVENT_ROW_PX > scrollTop + height) return top + EVENT_ROW_PX - height;
  return null;
}

/** One field of an event as the details pane shows it. */
export interface EventField {
  name: string;
  value: string;
}

/**
 * Every field of an event, readably: the time as ms since the run's start (and the raw ns stamp), the
 * rest in the order the event has them; objects and arrays as compact JSON. `runId` is left out: the
 * pane is about one run.
 */
export function eventFields(event: StoredEvent, startTs: string): EventField[] {
  const fields: EventField[] = [];
  let sinceStart: string;
  try {
    sinceStart = `${formatMsSinceStartLossy(event.ts, startTs)} ms since the start`;
  } catch {
    sinceStart = 'not a time';
  }
  fields.push({ name: 'time', value: `${sinceStart} (ts ${event.ts})` });
  for (const [name, value] of Object.entries(event)) {
    if (name === 'runId' || name === 'ts') continue;
    fields.push({ name, value: fieldText(value) });
  }
  return fields;
}

function fieldText(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** ns stamps as decimal strings → ms since the start with 3 decimals (lossy: display only). */
export function formatMsSinceStartLossy(ts: string, startTs: string): string {
  return (Number(BigInt(ts) - BigInt(startTs)) / 1e6).toFixed(3);
}

/** ns since the start (a trace.* command's time) → ms, lossy: for the time cursor. */
export function nsToMsLossy(ns: bigint): number {
  return Number(ns) / 1e6;
}

/**
 * Paces requests: at most one in flight and one start per `intervalMs`. `want()` says the list wants
 * fresh rows; `run` is called when the pacer lets it, and what it asks is decided then (so several
 * wants in a short while make one request for the latest state). Time and timers are passed in, so a
 * unit test drives it with a clock of its own.
 */
export class RequestPacer {
  readonly #intervalMs: number;
  readonly #run: () => Promise<void>;
  readonly #now: () => number;
  readonly #setTimer: (fn: () => void, ms: number) => unknown;
  readonly #clearTimer: (timer: unknown) => void;
  #wanted = false;
  #inFlight = false;
  #timer: unknown = null;
  #lastStart = -Infinity;

  constructor(
    run: () => Promise<void>,
    options: { intervalMs?: number; now?: () => number; setTimer?: (fn: () => void, ms: number) => unknown; clearTimer?: (timer: unknown) => void } = {},
  ) {
    this.#run = run;
    this.#intervalMs = options.intervalMs ?? 1000 / EVENT_REQUESTS_PER_SECOND;
    this.#now = options.now ?? (() => Date.now());
    this.#setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.#clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>));
  }

  want(): void {
    this.#wanted = true;
    this.#pump();
  }

  /** Forgets what was wanted and any timer (a request in flight still ends; its answer is the caller's to drop). */
  cancel(): void {
    this.#wanted = false;
    if (this.#timer !== null) this.#clearTimer(this.#timer);
    this.#timer = null;
  }

  #pump(): void {
    if (!this.#wanted || this.#inFlight || this.#timer !== null) return;
    const wait = this.#lastStart + this.#intervalMs - this.#now();
    if (wait > 0) {
      this.#timer = this.#setTimer(() => {
        this.#timer = null;
        this.#pump();
      }, wait);
      return;
    }
    this.#wanted = false;
    this.#inFlight = true;
    this.#lastStart = this.#now();
    void this.#run()
      .catch(() => undefined)
      .finally(() => {
        this.#inFlight = false;
        this.#pump();
      });
  }
}
