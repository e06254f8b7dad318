/**
 * One run as the page shows it: its summary (status, processes, checks), every event so far, and the
 * timeline model built from them. Events live in a `$state.raw` array replaced per batch (never deeply
 * proxied); the timeline model is plain and mutable, and `version` tells the canvas to repaint.
 */
import type { RunSummary } from '../../../../main/contract/lab-model.js';
import type { StoredEvent } from '../../../../main/contract/trace-events.js';
import { isFinal } from '../format.js';
import { TraceModel, type KernelSnapshot, type Lane } from '../trace/trace-model.js';

/** How many of the latest events the text view lists. */
export const RECENT_EVENT_LIMIT = 300;

export interface SharedPipe {
  target: string;
  pids: number[];
}

export class RunView {
  #run = $state.raw<RunSummary | null>(null);
  #events = $state.raw<readonly StoredEvent[]>([]);
  #lanes = $state.raw<readonly Lane[]>([]);
  #kernel = $state.raw<readonly KernelSnapshot[]>([]);
  #version = $state(0);
  #model: TraceModel | null = null;
  #lastSeq = 0;

  readonly recentEvents = $derived(this.#events.length > RECENT_EVENT_LIMIT ? this.#events.slice(-RECENT_EVENT_LIMIT) : this.#events);
  readonly finished = $derived(this.#run !== null && isFinal(this.#run.status));
  readonly active = $derived(this.#run !== null && !isFinal(this.#run.status));

  /** pipe:[inode] targets open in two or more processes: the two ends of one pipe. */
  readonly sharedPipes = $derived.by((): SharedPipe[] => {
    const byTarget = new Map<string, Set<number>>();
    for (const snapshot of this.#kernel) {
      for (const fd of snapshot.fds) {
        if (!fd.target.startsWith('pipe:[')) continue;
        let pids = byTarget.get(fd.target);
        if (!pids) byTarget.set(fd.target, (pids = new Set()));
        pids.add(snapshot.pid);
      }
    }
    return [...byTarget].filter(([, pids]) => pids.size > 1).map(([target, pids]) => ({ target, pids: [...pids] }));
  });

  get run(): RunSummary | null {
    return this.#run;
  }
  get events(): readonly StoredEvent[] {
    return this.#events;
  }
  get eventCount(): number {
    return this.#events.length;
  }
  get lanes(): readonly Lane[] {
    return this.#lanes;
  }
  get kernel(): readonly KernelSnapshot[] {
    return this.#kernel;
  }
  /** Bumped whenever the timeline model changed. */
  get version(): number {
    return this.#version;
  }
  get model(): TraceModel | null {
    return this.#model;
  }

  /** Shows a run from scratch (a new run, or one loaded with runs.get). */
  show(run: RunSummary, events: readonly StoredEvent[] = []): void {
    this.#model = new TraceModel(run.startTs);
    this.#model.addProcesses(run.processes);
    this.#run = run;
    this.#events = [];
    this.#lastSeq = 0;
    this.#kernel = [];
    this.append(events);
    this.#syncModel(true);
  }

  clear(): void {
    this.#model = null;
    this.#run = null;
    this.#events = [];
    this.#lanes = [];
    this.#kernel = [];
    this.#lastSeq = 0;
    this.#version++;
  }

  /** New events for this run. Ones already seen (by seq) are skipped: runs.get and a batch may overlap. */
  append(batch: readonly StoredEvent[]): void {
    const model = this.#model;
    if (!model || batch.length === 0) return;
    const fresh = batch[0]!.seq > this.#lastSeq ? batch : batch.filter((e) => e.seq > this.#lastSeq);
    if (fresh.length === 0) return;
    this.#lastSeq = fresh[fresh.length - 1]!.seq;
    model.append(fresh);
    this.#events = this.#events.length === 0 ? [...fresh] : this.#events.concat(fresh);
    this.#syncModel(fresh.some((e) => e.kind === 'kernel.snapshot'));
  }

  update(run: RunSummary): void {
    if (!this.#model || this.#run?.runId !== run.runId) return;
    this.#model.addProcesses(run.processes);
    this.#run = run;
    this.#syncModel(false);
  }

  #syncModel(kernelChanged: boolean): void {
    const model = this.#model!;
    const lanesChanged =
      model.lanes.length !== this.#lanes.length || model.lanes.some((lane, i) => this.#lanes[i]?.role !== lane.role);
    if (lanesChanged) this.#lanes = model.lanes.map((lane) => ({ ...lane }));
    if (kernelChanged) this.#kernel = [...model.kernel.values()].sort((a, b) => a.pid - b.pid);
    this.#version++;
  }

  /** The event with this seq, by binary search (events are in seq order). */
  eventBySeq(seq: number): StoredEvent | null {
    const events = this.#events;
    let lo = 0;
    let hi = events.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = events[mid]!.seq;
      if (s === seq) return events[mid]!;
      if (s < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return null;
  }
}
