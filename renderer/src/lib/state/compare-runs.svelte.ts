/**
 * Two runs of a step loaded side by side, each in its own RunView (the same model the lab page's views
 * use), so a run still going when it is compared keeps growing here as well. The lab page loads them
 * and feeds pushed events to `append` / `update`.
 */
import type { RunSummary } from '../../../../main/contract/lab-model.js';
import type { StoredEvent } from '../../../../main/contract/trace-events.js';
import { RunView } from './run-view.svelte.js';

export class CompareRuns {
  readonly a = new RunView();
  readonly b = new RunView();
  #loading = $state(false);

  /** Both runs are shown. */
  readonly ready = $derived(this.a.run !== null && this.b.run !== null);

  get loading(): boolean {
    return this.#loading;
  }

  set loading(value: boolean) {
    this.#loading = value;
  }

  /** Whether these two runs (in this order) are the ones shown. */
  shows(a: number, b: number): boolean {
    return this.a.run?.runId === a && this.b.run?.runId === b;
  }

  show(a: { run: RunSummary; events: readonly StoredEvent[] }, b: { run: RunSummary; events: readonly StoredEvent[] }): void {
    this.a.show(a.run, a.events);
    this.b.show(b.run, b.events);
  }

  clear(): void {
    this.a.clear();
    this.b.clear();
    this.#loading = false;
  }

  append(runId: number, events: readonly StoredEvent[], pushed: { skipped: number; lastSeq: number } | null = null): void {
    if (this.a.run?.runId === runId) this.a.append(events, pushed);
    if (this.b.run?.runId === runId) this.b.append(events, pushed);
  }

  update(run: RunSummary): void {
    this.a.update(run);
    this.b.update(run);
  }
}
