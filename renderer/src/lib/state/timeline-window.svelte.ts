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

export class TimelineWindow {
  readonly #bridge: Bridge;
  readonly #view: RunView;
  #scene = $state.raw<WindowScene | null>(null);
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
        this.#pump();
      }
    });
  }

  /** The last answer, for the window asked (null before the first answer of a windowed run). */
  get scene(): WindowScene | null {
    return this.#scene;
  }
  /** Why the last ask failed, or null. */
  get error(): string | null {
    return this.#error;
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
    if (!needed && !this.#stale) return;
    if (!needed) {
      // Only newer events: at most every LIVE_REFRESH_MS.
      const wait = this.#lastAsk + LIVE_REFRESH_MS - performance.now();
      if (wait > 0) {
        this.#timer = setTimeout(() => {
          this.#timer = null;
          this.#pump();
        }, wait);
        return;
      }
    }
    void this.#ask(this.#runId, shown);
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
