/**
 * Which run is going, from what the engine says in whatever order it arrives (plain TS, so the rules
 * run under Node in test/unit/renderer/active-run.test.ts; run-indicator.svelte.ts shows the result).
 *
 * - `runs.active` is asked when the page loads (a reload during a run finds it again). A pushed
 *   `run:updated` is newer than an answer that was on its way when the event came, so such an answer
 *   is dropped.
 * - A run once seen ended is never taken as going again: an update that was overtaken cannot bring it
 *   back. Only one run goes at a time (the engine refuses a second), so at most one is followed.
 */
import type { RunStatus, RunSummary } from '../../../../main/contract/lab-model.js';
import { isFinal } from '../format.js';
import { labHref, runHref } from '../routes.js';

/** What changed: a run to show (new, or the same one updated), the shown run ended, or it is gone. */
export type ActiveRunChange =
  { kind: 'going'; run: RunSummary; isNew: boolean } | { kind: 'ended'; runId: number; status: RunStatus } | { kind: 'gone' } | null;

export class ActiveRunTracker {
  #current: RunSummary | null = null;
  readonly #endedIds = new Set<number>();
  #eventsSeen = 0;

  get current(): RunSummary | null {
    return this.#current;
  }

  /** A pushed `run:updated`. */
  onEvent(run: RunSummary): ActiveRunChange {
    this.#eventsSeen++;
    return this.#apply(run);
  }

  /** Call before asking `runs.active`; hand the token to `onAnswer`. */
  beginAsk(): number {
    return this.#eventsSeen;
  }

  /** The answer to `runs.active`, dropped if an event came after the question. */
  onAnswer(token: number, run: RunSummary | null): ActiveRunChange {
    if (token !== this.#eventsSeen) return null;
    if (run) return this.#apply(run);
    if (!this.#current) return null;
    this.#current = null;
    return { kind: 'gone' };
  }

  /** The answer to `runs.stop`: the run as it ended. */
  onStopped(run: RunSummary): ActiveRunChange {
    return this.#apply(run);
  }

  #apply(run: RunSummary): ActiveRunChange {
    if (isFinal(run.status)) {
      this.#endedIds.add(run.runId);
      if (this.#current?.runId !== run.runId) return null;
      this.#current = null;
      return { kind: 'ended', runId: run.runId, status: run.status };
    }
    if (this.#endedIds.has(run.runId)) return null;
    const isNew = this.#current?.runId !== run.runId;
    this.#current = run;
    return { kind: 'going', run, isNew };
  }
}

/** `#/lab/<labId>/<stepId>/run/<runId>`: the lab page showing that run (a run without a step opens its lab). */
export function openHref(run: Pick<RunSummary, 'runId' | 'labId' | 'stepId'>): string {
  return run.stepId === null ? labHref(run.labId) : runHref(run.labId, run.stepId, run.runId);
}

/** "0:07", "12:05", "1:02:05": elapsed time as a clock shows it. */
export function formatElapsed(ms: number): string {
  const total = Number.isFinite(ms) ? Math.max(0, Math.floor(ms / 1000)) : 0;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

/** "Run 12 is going: Ordinary pipes, How much does a pipe hold?"; ids stand in for titles not known. */
export function goingText(run: Pick<RunSummary, 'runId' | 'labId' | 'stepId' | 'scenarioId'>, labTitle: string | null, stepTitle: string | null): string {
  const where = run.stepId === null ? `scenario ${run.scenarioId}` : (stepTitle ?? run.stepId);
  return `Run ${run.runId} is going: ${labTitle ?? run.labId}, ${where}`;
}

/** What the indicator says once a run it showed has ended. */
export function endedText(runId: number, status: RunStatus): string {
  switch (status) {
    case 'failed':
      return `Run ${runId} ended: failed (see its checks).`;
    case 'timed-out':
      return `Run ${runId} ended: timed out.`;
    default:
      return `Run ${runId} ended: ${status}.`;
  }
}
