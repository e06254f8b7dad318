/**
 * The runs of the step on screen, newest first (`runs.list`), kept current by the runs the page starts
 * and by every `run:updated` of this step, and the two the student picked to compare.
 */
import type { Bridge } from '../../../../main/contract/commands.js';
import type { RunSummary } from '../../../../main/contract/lab-model.js';
import { errorText } from '../format.js';
import type { ShownError } from './lab-page.svelte.js';

/** How many of a step's runs the list holds (the newest ones). */
export const HISTORY_LIMIT = 200;

interface Key {
  labId: string;
  stepId: string;
}

export class RunHistory {
  readonly #bridge: Bridge;
  #key = $state.raw<Key | null>(null);
  #runs = $state.raw<readonly RunSummary[]>([]);
  #loaded = $state(false);
  #loading = $state(false);
  #error = $state<ShownError | null>(null);
  #picked = $state.raw<readonly number[]>([]);
  #token = 0;
  #inFlight: { key: Key; promise: Promise<void> } | null = null;

  /** More runs than the list holds: only the newest HISTORY_LIMIT are listed. */
  readonly truncated = $derived(this.#runs.length >= HISTORY_LIMIT);
  readonly latest = $derived<RunSummary | null>(this.#runs[0] ?? null);
  /** The picked runs, older first, once two are picked. */
  readonly comparePair = $derived<[number, number] | null>(
    this.#picked.length === 2 ? [Math.min(this.#picked[0]!, this.#picked[1]!), Math.max(this.#picked[0]!, this.#picked[1]!)] : null,
  );

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  get runs(): readonly RunSummary[] {
    return this.#runs;
  }
  get loaded(): boolean {
    return this.#loaded;
  }
  get loading(): boolean {
    return this.#loading;
  }
  get error(): ShownError | null {
    return this.#error;
  }
  get picked(): readonly number[] {
    return this.#picked;
  }

  isPicked(runId: number): boolean {
    return this.#picked.includes(runId);
  }

  /** Picks a run for comparing, or unpicks it. At most two: a third cannot be picked until one is unpicked. */
  togglePick(runId: number): void {
    if (this.#picked.includes(runId)) this.#picked = this.#picked.filter((id) => id !== runId);
    else if (this.#picked.length < 2) this.#picked = [...this.#picked, runId];
  }

  /** The runs a compare URL names, picked as if the student had ticked them. */
  pick(runIds: readonly number[]): void {
    this.#picked = runIds.slice(0, 2);
  }

  /**
   * (Re)loads the runs of a step. A load of the same step already on its way is shared; one of another
   * step makes any earlier answer void.
   */
  load(labId: string, stepId: string): Promise<void> {
    const key = { labId, stepId };
    if (this.#inFlight && this.#inFlight.key.labId === labId && this.#inFlight.key.stepId === stepId) return this.#inFlight.promise;
    const same = this.#key?.labId === labId && this.#key.stepId === stepId;
    const token = ++this.#token;
    if (!same) {
      this.#key = key;
      this.#runs = [];
      this.#loaded = false;
      this.#picked = [];
    }
    this.#loading = true;
    this.#error = null;
    const promise = this.#bridge.call('runs.list', { labId, stepId, limit: HISTORY_LIMIT }).then(
      ({ runs }) => {
        if (token !== this.#token) return;
        // Runs that changed while the list was on its way are newer than the list.
        const known = this.#runs;
        this.#runs = sortNewestFirst(
          runs
            .map((r) =>
              newer(
                known.find((k) => k.runId === r.runId),
                r,
              ),
            )
            .concat(known.filter((k) => !runs.some((r) => r.runId === k.runId))),
        );
        this.#loaded = true;
      },
      (error: unknown) => {
        if (token === this.#token) this.#error = errorText(error);
      },
    );
    const settled = promise.finally(() => {
      if (token === this.#token) this.#loading = false;
      if (this.#inFlight?.promise === settled) this.#inFlight = null;
    });
    this.#inFlight = { key, promise: settled };
    return settled;
  }

  clear(): void {
    this.#token++;
    this.#inFlight = null;
    this.#key = null;
    this.#runs = [];
    this.#loaded = false;
    this.#loading = false;
    this.#error = null;
    this.#picked = [];
  }

  /** A run of this step started or changed: put it in the list (or replace the older copy of it). */
  upsert(run: RunSummary): void {
    const key = this.#key;
    if (!key || run.labId !== key.labId || run.stepId !== key.stepId) return;
    const i = this.#runs.findIndex((r) => r.runId === run.runId);
    if (i >= 0) {
      const next = this.#runs.slice();
      next[i] = run;
      this.#runs = next;
    } else this.#runs = sortNewestFirst([run, ...this.#runs]);
  }

  find(runId: number): RunSummary | null {
    return this.#runs.find((r) => r.runId === runId) ?? null;
  }
}

/** Run ids grow with time: the larger id is the newer run. */
function sortNewestFirst(runs: RunSummary[]): RunSummary[] {
  return runs.sort((a, b) => b.runId - a.runId).slice(0, HISTORY_LIMIT);
}

/** Of two copies of a run's summary, the one further along (an ended run never goes back to running). */
function newer(local: RunSummary | undefined, listed: RunSummary): RunSummary {
  if (!local) return listed;
  const rank = (r: RunSummary) => (r.endedAt ? 2 : r.status === 'starting' ? 0 : 1);
  return rank(local) > rank(listed) ? local : listed;
}
