/**
 * What the timeline draws of a windowed run (issue 13; RunView.windowed): it asks the engine
 * (`trace.window`) for the window on screen with a margin on either side (WINDOW_MARGIN) at the same
 * resolution (so a small pan is drawn exactly from the answer at once),
 * keeps the last answer as a WindowScene, and asks again when the window leaves what the answer covers or
 * needs a finer resolution than it has. One request at a time, the latest window wins: pans and zooms
 * faster than the engine answers are coalesced, and the canvas draws the last answer meanwhile (scaled:
 * the painter maps its times onto the window, whatever it is).
 *
 * While the run goes on, new events make the answer stale: it is asked again at most every
 * LIVE_REFRESH_MS, so a run storing 100,000 events a second costs the engine a few window queries a second.
 */
import type { Bridge } from '../../../../main/contract/commands.js';
import type { StoredEvent } from '../../../../main/contract/trace-events.js';
import { errorText } from '../format.js';
import { requestFor, sceneCovers, windowScene, type ShownWindow, type WindowScene } from '../trace/window-scene.js';
import type { RunView } from './run-view.svelte.js';

/** The least time between two asks while only new events (not the student) changed what to draw. */
export const LIVE_REFRESH_MS = 250;
/** The same for the overview strip of a run going on: the whole run, so a coarser pace. */
export const OVERVIEW_REFRESH_MS = 1000;

export class TimelineWindow {
  readonly #bridge: Bridge;
  readonly #view: RunView;
  #scene = $state.raw<WindowScene | null>(null);
  #overview = $state.raw<WindowScene | null>(null);
  #overviewWidth = 0;
  #overviewStale = false;
  #overviewAsked = -Infinity;
  #error = $state<string | null>(null);
  #shown: ShownWindow | null = null;
  #runId: number | null = null;
  #inFlight = false;
  #stale = false;
  #lastAsk = -Infinity;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** Bumped when the run changes: answers for an older one are dropped. */
  #generation = 0;
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- requests in flight, not state
  readonly #fetching = new Map<string, Promise<StoredEvent | null>>();

  constructor(bridge: Bridge, view: RunView) {
    this.#bridge = bridge;
    this.#view = view;
    view.onDidChange((change) => {
      if (change === 'run') this.#reset();
      else if (change === 'events' || change === 'status') {
        if (!view.windowed) return;
        this.#stale = true;
        this.#overviewStale = true;
        this.#pump();
      }
    });
  }

  /** The last answer, for the window asked (null before the first answer of a windowed run). */
  get scene(): WindowScene | null {
    return this.#scene;
  }
  /** The whole run at the overview strip's width (asked once the run's span is known, after the window's answer). */
  get overview(): WindowScene | null {
    return this.#overview;
  }
  /** Why the last ask failed, or null. */
  get error(): string | null {
    return this.#error;
  }

  /** The overview strip is `width` pixels wide: the whole run is asked for at that width. */
  showOverview(width: number): void {
    const columns = Math.max(Math.round(width), 1);
    if (columns === this.#overviewWidth) return;
    this.#overviewWidth = columns;
    this.#overviewStale = true;
    this.#pump();
  }

  /** The timeline shows this window now: asks for it unless the last answer already draws it. */
  show(shown: ShownWindow): void {
    this.#shown = shown;
    this.#pump();
  }

  /** The first event at or after `tMs` (of process `pid` if given), for a click on a summarised mark; null if none or on failure. */
  async firstEventFrom(runId: number, tMs: number, pid: number | undefined): Promise<StoredEvent | null> {
    try {
      const { event } = await this.#bridge.call('trace.find', { runId, ts: Math.floor(tMs * 1e6), direction: 'next', ...(pid === undefined ? {} : { pid }) });
      return event;
    } catch (error) {
      this.#error = errorText(error).message;
      return null;
    }
  }

  /** One event by seq (a hover card of a windowed run), or null. Asked once per seq at a time. */
  fetchEvent(runId: number, seq: number): Promise<StoredEvent | null> {
    const key = `${runId}:${seq}`;
    let pending = this.#fetching.get(key);
    if (!pending) {
      pending = this.#bridge
        .call('trace.events', { runId, from: { seq }, limit: 1 })
        .then(({ events }) => (events[0]?.seq === seq ? events[0] : null))
        .catch(() => null)
        .finally(() => this.#fetching.delete(key));
      this.#fetching.set(key, pending);
    }
    return pending;
  }

  #reset(): void {
    this.#generation++;
    this.#runId = this.#view.run?.runId ?? null;
    this.#scene = null;
    this.#overview = null;
    this.#overviewStale = true;
    this.#overviewAsked = -Infinity;
    this.#error = null;
    this.#stale = false;
    this.#lastAsk = -Infinity;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#pump();
  }

  #pump(): void {
    const shown = this.#shown;
    if (!this.#view.windowed || this.#runId === null || !shown || this.#inFlight || this.#timer !== null) return;
    const needed = !sceneCovers(this.#scene, shown);
    if (!needed && !this.#stale) {
      this.#pumpOverview();
      return;
    }
    if (!needed) {
      // Only newer events: at most every LIVE_REFRESH_MS.
      const wait = this.#lastAsk + LIVE_REFRESH_MS - performance.now();
      if (wait > 0) {
        // The pause between a live run's refreshes is the overview's turn, when it is due.
        if (this.#overviewDue()) {
          this.#pumpOverview();
          return;
        }
        this.#timer = setTimeout(() => {
          this.#timer = null;
          this.#pump();
        }, wait);
        return;
      }
    }
    void this.#ask(this.#runId, shown);
  }

  #overviewDue(): boolean {
    if (!this.#scene?.span || this.#overviewWidth === 0 || !this.#overviewStale) return false;
    return !this.#overview || this.#overview.width !== this.#overviewWidth || performance.now() >= this.#overviewAsked + OVERVIEW_REFRESH_MS;
  }

  /** When the window needs nothing: the overview, if it is missing, the wrong width, or stale (at most every OVERVIEW_REFRESH_MS). */
  #pumpOverview(): void {
    const span = this.#scene?.span;
    if (!span || this.#overviewWidth === 0 || this.#runId === null || !this.#overviewStale) return;
    const wait = this.#overview && this.#overview.width === this.#overviewWidth ? this.#overviewAsked + OVERVIEW_REFRESH_MS - performance.now() : 0;
    if (wait > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.#pump();
      }, wait);
      return;
    }
    void this.#askOverview(this.#runId, span.toT);
  }

  async #askOverview(runId: number, endT: number): Promise<void> {
    const generation = this.#generation;
    this.#inFlight = true;
    this.#overviewStale = false;
    this.#overviewAsked = performance.now();
    const width = this.#overviewWidth;
    try {
      const answer = await this.#bridge.call('trace.window', { runId, fromNs: 0, toNs: Math.max(Math.ceil(endT * 1e6), 1), width });
      if (generation === this.#generation) this.#overview = windowScene(answer, width);
    } catch {
      // The strip stays as it was; the window's own asks report failures.
    } finally {
      this.#inFlight = false;
      if (generation === this.#generation) this.#pump();
    }
  }

  async #ask(runId: number, shown: ShownWindow): Promise<void> {
    const generation = this.#generation;
    this.#inFlight = true;
    this.#stale = false;
    this.#lastAsk = performance.now();
    const request = requestFor(shown);
    try {
      const answer = await this.#bridge.call('trace.window', { runId, ...request });
      if (generation !== this.#generation) return;
      this.#scene = windowScene(answer, request.width);
      this.#error = null;
    } catch (error) {
      if (generation === this.#generation) this.#error = errorText(error).message;
    } finally {
      this.#inFlight = false;
      if (generation === this.#generation && this.#error === null) this.#pump();
    }
  }
}
