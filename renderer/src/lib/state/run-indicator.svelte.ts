/**
 * The run going on now, wherever the student is: which run, of which lab and step, for how long, with a
 * way to open it and to stop it. The rules for what arrives in which order are in active-run.ts; this
 * class keeps what the view shows: the run, "Stopping…", how the run ended (for a short while), a clock.
 */
import type { Bridge } from '../../../../main/contract/commands.js';
import type { RunStatus, RunSummary } from '../../../../main/contract/lab-model.js';
import { errorText } from '../format.js';
import { ActiveRunTracker, goingText, openHref, type ActiveRunChange } from './active-run.js';
import type { ShownError } from './lab-page.svelte.js';
import type { LabTitles } from './lab-titles.svelte.js';

/** How long the indicator says how a run ended before it goes away. */
export const ENDED_NOTICE_MS = 10_000;

export interface EndedRun {
  runId: number;
  status: RunStatus;
}

export class RunIndicator {
  readonly #bridge: Bridge;
  readonly #titles: LabTitles;
  readonly #tracker = new ActiveRunTracker();
  #run = $state.raw<RunSummary | null>(null);
  #stopping = $state(false);
  #stopError = $state<ShownError | null>(null);
  #ended = $state.raw<EndedRun | null>(null);
  #now = $state(Date.now());
  #ticker: ReturnType<typeof setInterval> | null = null;
  #endedTimer: ReturnType<typeof setTimeout> | null = null;

  /** "Run 12 is going: Ordinary pipes, How much does a pipe hold?" (ids until the titles are loaded). */
  readonly label = $derived.by(() => {
    const run = this.#run;
    if (!run) return '';
    return goingText(run, this.#titles.lab(run.labId), run.stepId === null ? null : this.#titles.step(run.labId, run.stepId));
  });
  readonly elapsedMs = $derived(this.#run ? this.#now - Date.parse(this.#run.startedAt) : 0);
  readonly href = $derived(this.#run ? openHref(this.#run) : null);

  constructor(bridge: Bridge, titles: LabTitles) {
    this.#bridge = bridge;
    this.#titles = titles;
    bridge.on('run:updated', ({ run }) => this.#show(this.#tracker.onEvent(run)));
  }

  get run(): RunSummary | null {
    return this.#run;
  }
  /** Stop was pressed and the run has not ended yet. */
  get stopping(): boolean {
    return this.#stopping;
  }
  get stopError(): ShownError | null {
    return this.#stopError;
  }
  /** The run this indicator showed that ended last, for a short while after it ended. */
  get ended(): EndedRun | null {
    return this.#ended;
  }

  /** Asks the engine which run is going (at start-up, and whenever the page may have missed events). */
  async refresh(): Promise<void> {
    const token = this.#tracker.beginAsk();
    try {
      const { run } = await this.#bridge.call('runs.active', {});
      this.#show(this.#tracker.onAnswer(token, run));
    } catch (error) {
      // The connection banner already says when the engine is gone; anything else is worth a line.
      console.warn('IPC Lab: could not ask which run is going', error);
    }
  }

  /** Stops the run shown. "Stopping…" lasts until the engine says the run ended. */
  async stop(): Promise<void> {
    const run = this.#run;
    if (!run || this.#stopping) return;
    this.#stopping = true;
    this.#stopError = null;
    try {
      const { run: stopped } = await this.#bridge.call('runs.stop', { runId: run.runId });
      this.#show(this.#tracker.onStopped(stopped));
    } catch (error) {
      if (this.#run?.runId === run.runId) {
        this.#stopping = false;
        this.#stopError = errorText(error);
      }
    }
  }

  /** Clears the timers (the app never unmounts; tests and hot reload do). */
  dispose(): void {
    this.#stopTicker();
    if (this.#endedTimer) clearTimeout(this.#endedTimer);
    this.#endedTimer = null;
  }

  #show(change: ActiveRunChange): void {
    if (!change) return;
    if (change.kind === 'going') {
      if (change.isNew) {
        this.#stopping = false;
        this.#stopError = null;
        this.#ended = null;
        void this.#titles.load(change.run.labId);
      }
      this.#run = change.run;
      this.#now = Date.now();
      this.#startTicker();
      return;
    }
    this.#run = null;
    this.#stopping = false;
    this.#stopError = null;
    this.#stopTicker();
    if (change.kind === 'ended') this.#announceEnd({ runId: change.runId, status: change.status });
  }

  #announceEnd(ended: EndedRun): void {
    this.#ended = ended;
    if (this.#endedTimer) clearTimeout(this.#endedTimer);
    this.#endedTimer = setTimeout(() => {
      this.#endedTimer = null;
      if (this.#ended === ended) this.#ended = null;
    }, ENDED_NOTICE_MS);
  }

  #startTicker(): void {
    if (this.#ticker) return;
    this.#ticker = setInterval(() => (this.#now = Date.now()), 1000);
  }

  #stopTicker(): void {
    if (this.#ticker) clearInterval(this.#ticker);
    this.#ticker = null;
  }
}
