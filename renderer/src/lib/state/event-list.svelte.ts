/**
 * The event list's state (issue 13): one block of the shown run's events in time order, asked of the
 * engine (`trace.events`) for what is on screen, the filter the engine applies, and the chosen event.
 * The plain rules (which block, which key goes where, pacing) are in `event-window.ts`.
 *
 * While a run goes on, the list keeps its count current and follows the end, unless the student
 * scrolled away or chose a row; it asks at most EVENT_REQUESTS_PER_SECOND times a second. Choosing a
 * row moves the time cursor there and chooses the event on the timeline (RunView.choose); an event
 * chosen on the timeline is found among the filtered events and scrolled to.
 */
import type { Bridge } from '../../../../main/contract/commands.js';
import type { StoredEvent } from '../../../../main/contract/trace-events.js';
import type { RunView, RunViewChange } from './run-view.svelte.js';
import { errorText } from '../format.js';
import {
  EVENT_BLOCK_ROWS,
  NO_FILTER,
  RequestPacer,
  covers,
  eventAt,
  indexOfSeq,
  isFiltered,
  keyTarget,
  pageRequestFor,
  traceFilterOf,
  type EventBlock,
  type EventFilterForm,
  type PageRequest,
  type Viewport,
} from './event-window.js';

/** The chosen event and its position among the filtered events (null: the filter does not keep it). */
export interface ListSelection {
  event: StoredEvent;
  index: number | null;
}

export class EventList {
  readonly #bridge: Bridge;
  readonly #view: RunView;
  readonly #pacer: RequestPacer;
  #runId: number | null = null;
  #block = $state.raw<EventBlock>({ start: 0, events: [] });
  #total = $state(0);
  #form = $state.raw<EventFilterForm>(NO_FILTER);
  #selection = $state.raw<ListSelection | null>(null);
  #following = $state(true);
  #error = $state<string | null>(null);
  #loaded = $state(false);
  /** A position the component should scroll into view, with a counter so the same one can be asked again. */
  #reveal = $state.raw<{ index: number; n: number } | null>(null);
  #viewport: Viewport = { first: 0, count: 12 };
  /** Bumped when the run or the filter changes: answers to older requests are dropped. */
  #generation = 0;
  /**
   * An event to find among the filtered events and choose, at the next request: chosen on the timeline,
   * found by "next of this kind" or "follow", or the choice kept across a filter change. `event` stays
   * chosen even when the filter does not keep it; `tell`: move the cursor and tell the timeline.
   */
  #seek: { event: StoredEvent; tell: boolean } | null = null;
  /** Why the last "next of this kind" / "follow" found nothing, or null. */
  #note = $state<string | null>(null);

  constructor(bridge: Bridge, view: RunView) {
    this.#bridge = bridge;
    this.#view = view;
    this.#pacer = new RequestPacer(() => this.#fetch());
    view.onDidChange((change) => this.#onViewChange(change));
  }

  get block(): EventBlock {
    return this.#block;
  }
  /** How many events the filter keeps in the run as stored so far. */
  get total(): number {
    return this.#total;
  }
  get filter(): EventFilterForm {
    return this.#form;
  }
  get filtered(): boolean {
    return isFiltered(this.#form);
  }
  get selection(): ListSelection | null {
    return this.#selection;
  }
  get following(): boolean {
    return this.#following;
  }
  /** Why the last request failed, or null. */
  get error(): string | null {
    return this.#error;
  }
  /** True once the engine answered for this run and filter. */
  get loaded(): boolean {
    return this.#loaded;
  }
  get reveal(): { index: number; n: number } | null {
    return this.#reveal;
  }
  /** What the last "next of this kind" or "follow this message" found nothing for, or null. */
  get note(): string | null {
    return this.#note;
  }

  /** Chooses the next (or previous) event of the chosen one's kind, in the whole run (trace.find). */
  async findNextOfKind(direction: 'next' | 'previous' = 'next'): Promise<void> {
    const chosen = this.#selection?.event;
    const runId = this.#runId;
    const startTs = this.#view.run?.startTs;
    if (!chosen || runId === null || startTs === undefined) return;
    const generation = this.#generation;
    this.#note = null;
    try {
      const ts = Number(BigInt(chosen.ts) - BigInt(startTs));
      const { event } = await this.#bridge.call('trace.find', { runId, ts, seq: chosen.seq, kind: chosen.kind, direction });
      if (generation !== this.#generation) return;
      if (!event) this.#note = `No ${direction === 'next' ? 'later' : 'earlier'} ${chosen.kind} event in this run.`;
      else this.#seekTo(event);
    } catch (error) {
      this.#note = errorText(error).message;
    }
  }

  /** Chooses the other end of the chosen message (or TCP connection) (trace.follow). */
  async follow(): Promise<void> {
    const chosen = this.#selection?.event;
    const runId = this.#runId;
    if (!chosen || runId === null) return;
    const generation = this.#generation;
    this.#note = null;
    try {
      const { partner } = await this.#bridge.call('trace.follow', { runId, seq: chosen.seq });
      if (generation !== this.#generation) return;
      if (!partner) this.#note = 'The other end of this message is not in the trace (not received yet, or lost).';
      else this.#seekTo(partner);
    } catch (error) {
      this.#note = errorText(error).message;
    }
  }

  #seekTo(event: StoredEvent): void {
    const index = indexOfSeq(this.#block, event.seq);
    if (index >= 0) this.#choose(event, index, true);
    else {
      this.#seek = { event, tell: true };
      this.#pacer.want();
    }
  }

  /** The student changed the filter: the list starts over from the chosen event, else from the end (following) or the start. */
  setFilter(change: Partial<EventFilterForm>): void {
    const next = { ...this.#form, ...change };
    if (JSON.stringify(next) === JSON.stringify(this.#form)) return;
    this.#form = next;
    this.#generation++;
    this.#loaded = false;
    this.#block = { start: 0, events: [] };
    const chosen = this.#selection?.event;
    if (chosen) this.#seek = { event: chosen, tell: false };
    else if (!this.#following) {
      this.#viewport = { first: 0, count: this.#viewport.count };
      this.#reveal = { index: 0, n: (this.#reveal?.n ?? 0) + 1 };
    }
    this.#pacer.want();
  }

  /** The rows on screen changed (scrolling, resizing). `atEnd`: scrolled to the bottom. */
  setViewport(viewport: Viewport, atEnd: boolean): void {
    this.#viewport = viewport;
    const follow = atEnd && this.#selection === null;
    if (follow !== this.#following) this.#following = follow;
    if (!covers(this.#block, viewport, this.#total) || (follow && this.#block.start + this.#block.events.length < this.#total)) this.#pacer.want();
  }

  /** Chooses the row at `index` (loaded): details, the time cursor, the timeline's mark. */
  select(index: number): void {
    const event = eventAt(this.#block, index);
    if (!event) return;
    this.#choose(event, index, true);
  }

  /** Clears the choice; the list follows the end again if it is scrolled there. */
  unselect(): void {
    this.#selection = null;
    this.#view.choose(null, 'list');
  }

  /**
   * A key on the list: ↑ ↓ Page Up / Down Home End move the selection (asking the engine for the rows
   * when they are not loaded), Escape clears it. Returns whether the key was the list's.
   */
  key(key: string): boolean {
    if (key === 'Escape') {
      if (!this.#selection) return false;
      this.unselect();
      return true;
    }
    const current = this.#selection?.index ?? null;
    const target = keyTarget(key, current, this.#total, this.#viewport.count);
    if (target === null) return false;
    const event = eventAt(this.#block, target);
    if (event) this.#choose(event, target, true);
    else void this.#selectAt(target);
    return true;
  }

  #choose(event: StoredEvent, index: number | null, tellTimeline: boolean): void {
    this.#selection = { event, index };
    // A windowed run's view does not hold every event: the timeline finds this one by seq.
    this.#view.remember([event]);
    this.#following = false;
    if (index !== null) this.#reveal = { index, n: (this.#reveal?.n ?? 0) + 1 };
    if (!tellTimeline) return;
    const model = this.#view.model;
    if (model) {
      try {
        this.#view.setCursor(model.relativeMillisLossy(event.ts));
      } catch {
        // Not a decimal ts: the cursor stays where it is.
      }
    }
    this.#view.choose(event.seq, 'list');
  }

  /** Loads the block around a position not yet loaded, then chooses the row there. */
  async #selectAt(index: number): Promise<void> {
    const runId = this.#runId;
    if (runId === null) return;
    const generation = this.#generation;
    const start = Math.max(0, Math.min(index - Math.floor(EVENT_BLOCK_ROWS / 2), this.#total - EVENT_BLOCK_ROWS));
    const answer = await this.#ask(runId, { from: { index: start }, direction: 'forward', limit: EVENT_BLOCK_ROWS });
    if (!answer || generation !== this.#generation) return;
    this.#take(answer);
    const event = eventAt(this.#block, index);
    if (event) this.#choose(event, index, true);
  }

  #onViewChange(change: RunViewChange): void {
    const runId = this.#view.run?.runId ?? null;
    if (change === 'run' || runId !== this.#runId) {
      // Another run has other processes (pids) and perhaps other kinds: its list starts unfiltered.
      if (runId !== this.#runId) this.#form = NO_FILTER;
      this.#runId = runId;
      this.#generation++;
      this.#pacer.cancel();
      this.#block = { start: 0, events: [] };
      this.#total = 0;
      this.#selection = null;
      this.#seek = null;
      this.#following = true;
      this.#loaded = false;
      this.#error = null;
      if (runId !== null) this.#pacer.want();
      return;
    }
    if (change === 'chosen') {
      const chosen = this.#view.chosen;
      if (!chosen || chosen.from !== 'timeline' || chosen.seq === this.#selection?.event.seq) return;
      const index = indexOfSeq(this.#block, chosen.seq);
      const event = index >= 0 ? this.#block.events[index - this.#block.start]! : this.#view.eventBySeq(chosen.seq);
      if (!event) return;
      if (index >= 0) this.#choose(event, index, false);
      else {
        this.#seek = { event, tell: false };
        this.#pacer.want();
      }
      return;
    }
    // More events, or the run ended: the count (and the end, when following) is to be asked again.
    this.#pacer.want();
  }

  async #fetch(): Promise<void> {
    const runId = this.#runId;
    if (runId === null) return;
    const generation = this.#generation;
    const seek = this.#seek;
    this.#seek = null;
    const request: PageRequest = seek
      ? { from: { seq: seek.event.seq }, direction: 'forward', limit: 1 }
      : pageRequestFor(this.#following, this.#viewport, this.#total);
    let answer = await this.#ask(runId, request);
    if (!answer || generation !== this.#generation) return;
    if (seek) {
      // Where the sought event is (or would be) among the filtered events: load the block around it.
      // Not kept by the filter: still chosen (its details stay), and the list shows where it would be.
      const kept = answer.events[0]?.seq === seek.event.seq;
      const index = answer.index;
      const start = Math.max(0, Math.min(index - Math.floor(EVENT_BLOCK_ROWS / 2), answer.total - EVENT_BLOCK_ROWS));
      answer = await this.#ask(runId, { from: { index: start }, direction: 'forward', limit: EVENT_BLOCK_ROWS });
      if (!answer || generation !== this.#generation) return;
      this.#take(answer);
      this.#choose(seek.event, kept ? index : null, seek.tell);
      if (!kept) this.#reveal = { index: Math.min(index, Math.max(answer.total - 1, 0)), n: (this.#reveal?.n ?? 0) + 1 };
      return;
    }
    this.#take(answer);
  }

  #take(answer: { events: StoredEvent[]; index: number; total: number }): void {
    this.#block = { start: answer.index, events: answer.events };
    this.#total = answer.total;
    this.#loaded = true;
    this.#error = null;
    // The chosen event's position moves when a live run stores events stamped before it: follow it.
    const chosen = this.#selection;
    if (chosen) {
      const index = indexOfSeq(this.#block, chosen.event.seq);
      if (index >= 0 && index !== chosen.index) this.#selection = { event: chosen.event, index };
    }
  }

  async #ask(runId: number, page: PageRequest): Promise<{ events: StoredEvent[]; index: number; total: number } | null> {
    try {
      return await this.#bridge.call('trace.events', { runId, ...page, filter: traceFilterOf(this.#form) });
    } catch (error) {
      if (this.#runId === runId) this.#error = errorText(error).message;
      return null;
    }
  }
}
