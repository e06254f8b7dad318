/**
 * One run as the page shows it: its summary (status, processes, checks), every event so far, and the
 * timeline model built from them. Events live in a `$state.raw` array replaced per batch (never deeply
 * proxied); the timeline model is plain and mutable, and `version` tells the canvas to repaint.
 *
 * The time cursor: the student may pin a moment of the run on the timeline; the kernel view then shows
 * each process as /proc saw it at that moment (its latest snapshot at or before it) instead of the
 * latest one, which after a run has ended is often not the interesting one. When a run ends (or a
 * finished one is loaded), the cursor opens at the moment its checks point to (see `momentOfChecks`).
 *
 * The chosen event (`choose`): the event list and the timeline each follow the other's choice. Views that
 * keep their own state of the run (the event list pages events from the engine) hear of changes through
 * `onDidChange`.
 *
 * A large run (issue 13) is not held whole: past RUN_VIEW_WHOLE_MAX events, or once the engine pushes a
 * batch with events left out (LIVE_BATCH_MAX_EVENTS), the view is `windowed`. It then keeps only the
 * events of LIVE_WHOLE_KINDS (process life and what the kernel view shows) and the latest labelled
 * messages, counts what is stored (`eventCount`), and the timeline draws from windowed queries
 * (timeline-window.svelte.ts). Events fetched for a hover or a choice are remembered (`remember`), a
 * bounded few, so `eventBySeq` finds them.
 */
import type { RunSummary } from '../../../../main/contract/lab-model.js';
import { momentOfChecks } from './check-rows.js';
import { heldByTwoOrMore } from '../kernel-words.js';
import type { StoredEvent, StoredEventOf } from '../../../../main/contract/trace-events.js';
import { LIVE_WHOLE_KINDS } from '../../../../main/contract/commands.js';
import { isFinal } from '../format.js';
import { TraceModel, type Cleanup, type KernelSnapshot, type Lane, type LaneSummary, type ProcessAt, type ShmObjects } from '../trace/trace-model.js';

export interface SharedPipe {
  target: string;
  pids: number[];
}

/** A /dev/shm file mapped by two or more processes: one segment, the same memory in each. */
export interface SharedMapping {
  path: string;
  pids: number[];
}

/** A buffer's latest level, for the occupancy track's label. */
export interface OccupancyLevel {
  channel: string;
  used: number;
  capacity: number | null;
  maxUsed: number;
}

/** How many labelled messages (message.bytes) the byte view keeps, the latest ones. */
export const MESSAGE_BYTES_LIMIT = 200;

import { RUN_VIEW_WHOLE_MAX } from '../trace/window-scene.js';
export { RUN_VIEW_WHOLE_MAX };

/** How many fetched events a windowed view remembers for eventBySeq (hover cards, choices). */
const REMEMBERED_MAX = 2000;

/** What changed, for a view that keeps its own state of the run (the event list): see `onDidChange`. */
export type RunViewChange = 'run' | 'events' | 'status' | 'chosen';

/** The event the student chose (by seq), and in which view: the other view follows the choice. */
export interface ChosenEvent {
  seq: number;
  from: 'list' | 'timeline';
}

/** The kinds that change what the kernel view shows. */
const KERNEL_KINDS = new Set(['kernel.snapshot', 'kernel.objects', 'host.cleanup', 'process.exit', 'host.exit', 'child.exit']);

export class RunView {
  #run = $state.raw<RunSummary | null>(null);
  #events = $state.raw<readonly StoredEvent[]>([]);
  #lanes = $state.raw<readonly Lane[]>([]);
  #occupancy = $state.raw<readonly OccupancyLevel[]>([]);
  #messages = $state.raw<readonly StoredEventOf<'message.bytes'>[]>([]);
  /** Bumped whenever a snapshot, kernel.objects or host.cleanup arrived. */
  #kernelVersion = $state(0);
  /** The pinned moment (ms since the start, lossy), or null: live / latest. */
  #cursorT = $state<number | null>(null);
  /** Why the cursor is where it is, when the view put it there (a check's moment); null: the student did. */
  #cursorReason = $state<string | null>(null);
  #version = $state(0);
  #loadingRest = $state(false);
  #chosen = $state.raw<ChosenEvent | null>(null);
  /** The run is drawn from windowed queries: only the events the kernel view needs are held. */
  #windowed = $state(false);
  /** Events stored so far (the last seq seen): in a windowed view, more than are held. */
  #stored = $state(0);
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a cache, not state: no view reads it
  readonly #remembered = new Map<number, StoredEvent>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- listeners, not state: no view reads them
  readonly #listeners = new Set<(change: RunViewChange) => void>();
  #model: TraceModel | null = null;
  #lastSeq = 0;

  readonly finished = $derived(this.#run !== null && isFinal(this.#run.status));
  readonly active = $derived(this.#run !== null && !isFinal(this.#run.status));

  /**
   * What the kernel view shows: each process at the cursor (or the latest), alive with its snapshot or
   * ended, with when. After the run, the latest view shows every process as ended.
   */
  readonly processes = $derived.by((): readonly ProcessAt[] => {
    void this.#kernelVersion;
    const run = this.#run;
    return this.#model?.processesAt(this.#cursorT, run !== null && isFinal(run.status), run?.processes ?? []) ?? [];
  });

  /** The snapshots of the processes alive at the cursor (or the latest): what /proc showed of them. */
  readonly kernel = $derived(this.processes.flatMap((p): KernelSnapshot[] => (p.snapshot && !p.end && !p.endedWithRun ? [p.snapshot] : [])));

  /** Per lane: how its process ended and the calls it never returned from (the timeline's headers). */
  readonly laneSummaries = $derived.by((): readonly LaneSummary[] => {
    void this.#version;
    return this.#model?.laneSummaries() ?? [];
  });

  /** The run's /dev/shm entries at the cursor (or the latest), null before the host reported any. */
  readonly shmObjects = $derived.by((): ShmObjects | null => {
    void this.#kernelVersion;
    return this.#model?.shmObjectsAt(this.#cursorT) ?? null;
  });

  /** What the host removed at the end of the run (up to the cursor). */
  readonly cleanups = $derived.by((): readonly Cleanup[] => {
    void this.#kernelVersion;
    return this.#model?.cleanupsUntil(this.#cursorT) ?? [];
  });

  /**
   * Whether this run ever had named kernel objects (segments, queues, FIFOs) or shared mappings: the
   * kernel view then lists them.
   */
  readonly usesSharedMemory = $derived.by((): boolean => {
    void this.#kernelVersion;
    const model = this.#model;
    if (!model) return false;
    if (model.cleanups.length > 0 || model.shmObjects.some((o) => o.shm.length + o.mqueue.length + o.fifo.length + o.socket.length > 0)) return true;
    for (const history of model.kernelHistory.values()) if (history.some((s) => s.maps.length > 0)) return true;
    return false;
  });

  /** pipe:[inode] targets open in two or more processes: the two ends of one pipe (the runtime's own pipes aside). */
  readonly sharedPipes: SharedPipe[] = $derived(
    heldByTwoOrMore(this.kernel, (s) => s.fds.filter((fd) => fd.target.startsWith('pipe:[') && fd.runtime === undefined).map((fd) => fd.target)).map(
      ({ key, pids }) => ({ target: key, pids }),
    ),
  );

  /** /dev/shm files mapped by two or more processes: one shared segment. */
  readonly sharedMappings: SharedMapping[] = $derived(
    heldByTwoOrMore(this.kernel, (s) => s.maps.map((m) => m.path)).map(({ key, pids }) => ({ path: key, pids })),
  );

  /**
   * The processes the checks' evidence is about: those with an event at the moment the view opens at
   * after the run (`momentOfChecks`). The kernel view starts with them open.
   */
  readonly evidencePids = $derived.by((): readonly number[] => {
    const run = this.#run;
    const moment = run && isFinal(run.status) ? momentOfChecks(run.checks) : null;
    if (!moment) return [];
    return this.#events.filter((e) => e.ts === moment.ts && e.pid > 0).map((e) => e.pid);
  });

  get run(): RunSummary | null {
    return this.#run;
  }
  get events(): readonly StoredEvent[] {
    return this.#events;
  }
  /** Events of the run stored so far (all of them held, unless `windowed`). */
  get eventCount(): number {
    return this.#windowed ? this.#stored : this.#events.length;
  }
  /** The run is too large to hold: the timeline draws it from windowed queries (see the header). */
  get windowed(): boolean {
    return this.#windowed;
  }
  /** True while the pages of a run after its first are still coming (runs.get); show() and clear() end it. */
  get loadingRest(): boolean {
    return this.#loadingRest;
  }
  set loadingRest(value: boolean) {
    this.#loadingRest = value;
  }
  get lanes(): readonly Lane[] {
    return this.#lanes;
  }
  /** The run's messages with their bytes labelled (message.bytes), oldest first, the latest MESSAGE_BYTES_LIMIT. */
  get messages(): readonly StoredEventOf<'message.bytes'>[] {
    return this.#messages;
  }
  get occupancy(): readonly OccupancyLevel[] {
    return this.#occupancy;
  }
  get cursorT(): number | null {
    return this.#cursorT;
  }
  /** Why the view put the cursor there (e.g. the check whose evidence it is), or null. */
  get cursorReason(): string | null {
    return this.#cursorReason;
  }
  /** Bumped whenever the timeline model changed. */
  get version(): number {
    return this.#version;
  }
  get model(): TraceModel | null {
    return this.#model;
  }
  /** The event chosen in the event list or on the timeline, or null. */
  get chosen(): ChosenEvent | null {
    return this.#chosen;
  }

  /** Chooses an event (null: none); the other view follows (its listener hears 'chosen'). */
  choose(seq: number | null, from: ChosenEvent['from']): void {
    if (seq === null ? this.#chosen === null : this.#chosen?.seq === seq && this.#chosen.from === from) return;
    this.#chosen = seq === null ? null : { seq, from };
    this.#emit('chosen');
  }

  /**
   * Tells `listener` when another run is shown (or none: 'run'), events arrived ('events'), the run's
   * status changed ('status') or an event was chosen ('chosen'). Returns the way to stop.
   */
  onDidChange(listener: (change: RunViewChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(change: RunViewChange): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch (error) {
        console.error(`IPC Lab: a listener of the run view's "${change}" failed`, error);
      }
    }
  }

  /**
   * Shows a run from scratch (a new run, or one loaded with runs.get). `windowed`: a large finished run
   * with this many events stored; `events` are then the ones the kernel view needs (appendKept adds more).
   */
  show(run: RunSummary, events: readonly StoredEvent[] = [], windowed: { stored: number } | null = null): void {
    this.#windowed = windowed !== null;
    this.#stored = windowed?.stored ?? 0;
    this.#remembered.clear();
    this.#model = new TraceModel(run.startTs);
    this.#model.addProcesses(run.processes);
    this.#run = run;
    this.#events = [];
    this.#messages = [];
    this.#lastSeq = 0;
    this.#loadingRest = false;
    this.#occupancy = [];
    this.#cursorT = null;
    this.#cursorReason = null;
    this.#chosen = null;
    this.#kernelVersion++;
    this.#model.runEnded = isFinal(run.status);
    this.#emit('run');
    if (windowed) this.appendKept(events);
    else this.append(events);
    this.#syncModel(true, true);
    if (isFinal(run.status)) this.#openAtMoment(run);
  }

  clear(): void {
    this.#model = null;
    this.#run = null;
    this.#events = [];
    this.#messages = [];
    this.#lanes = [];
    this.#occupancy = [];
    this.#cursorT = null;
    this.#cursorReason = null;
    this.#lastSeq = 0;
    this.#loadingRest = false;
    this.#chosen = null;
    this.#windowed = false;
    this.#stored = 0;
    this.#remembered.clear();
    this.#kernelVersion++;
    this.#version++;
    this.#emit('run');
  }

  /** Pins the kernel view to a moment (ms since the start), clamped to the run so far. */
  setCursor(t: number): void {
    const end = this.#model?.endT ?? 0;
    this.#cursorT = Math.min(Math.max(t, 0), end);
    this.#cursorReason = null;
  }

  /** Back to the live (or, after the run, the latest) kernel view. */
  clearCursor(): void {
    this.#cursorT = null;
    this.#cursorReason = null;
  }

  /**
   * After the run: the cursor at the moment its checks point to, unless the student pinned one. Not
   * clamped to the events so far: the run's last batch may still be on its way.
   */
  #openAtMoment(run: RunSummary): void {
    const model = this.#model;
    const moment = momentOfChecks(run.checks);
    if (!model || !moment || this.#cursorT !== null) return;
    let t: number;
    try {
      t = model.relativeMillisLossy(moment.ts);
    } catch {
      return; // not a decimal ts: keep the latest view
    }
    this.#cursorT = Math.max(t, 0);
    this.#cursorReason = `the evidence of the check “${moment.check.title}” (${moment.check.passed ? 'passed' : 'failed'})`;
  }

  /** The nearest moment before (-1) or after (+1) `t` at which the kernel view changes, or null. */
  kernelChangeNear(t: number, direction: -1 | 1): number | null {
    const times = this.#model?.kernelChangeTimes() ?? [];
    if (direction > 0) return times.find((x) => x > t + 1e-9) ?? null;
    for (let i = times.length - 1; i >= 0; i--) if (times[i]! < t - 1e-9) return times[i]!;
    return null;
  }

  /**
   * New events for this run, in seq order. Ones already seen (by seq) are skipped: runs.get and a batch
   * may overlap. `pushed`: what the engine said of a live batch: how many it left out (the view is then
   * windowed from here on) and the batch's last stored seq.
   */
  append(batch: readonly StoredEvent[], pushed: { skipped: number; lastSeq: number } | null = null): void {
    const model = this.#model;
    if (!model) return;
    if (pushed && pushed.lastSeq > this.#stored) this.#stored = pushed.lastSeq;
    const fresh = batch.length === 0 || batch[0]!.seq > this.#lastSeq ? batch : batch.filter((e) => e.seq > this.#lastSeq);
    if (fresh.length > 0) {
      this.#lastSeq = fresh[fresh.length - 1]!.seq;
      if (this.#lastSeq > this.#stored) this.#stored = this.#lastSeq;
    }
    if (!this.#windowed && ((pushed?.skipped ?? 0) > 0 || this.#events.length + fresh.length > RUN_VIEW_WHOLE_MAX)) this.#becomeWindowed();
    if (this.#windowed) {
      const last = fresh.at(-1);
      this.#keep(fresh.filter((e) => LIVE_WHOLE_KINDS.has(e.kind) || e.kind === 'message.bytes'));
      if (last) model.seen(last);
      this.#syncModel(
        fresh.some((e) => KERNEL_KINDS.has(e.kind)),
        false,
      );
      this.#emit('events');
      return;
    }
    if (fresh.length === 0) return;
    model.append(fresh);
    this.#events = this.#events.length === 0 ? [...fresh] : this.#events.concat(fresh);
    const messages = fresh.filter((e): e is StoredEventOf<'message.bytes'> => e.kind === 'message.bytes');
    if (messages.length > 0) this.#messages = this.#messages.concat(messages).slice(-MESSAGE_BYTES_LIMIT);
    this.#syncModel(
      fresh.some((e) => KERNEL_KINDS.has(e.kind)),
      fresh.some((e) => e.kind === 'buffer.level'),
    );
    this.#emit('events');
  }

  /**
   * A windowed view's events of LIVE_WHOLE_KINDS and labelled messages, fetched for a finished run (in
   * any order; ones already held are skipped).
   */
  appendKept(events: readonly StoredEvent[]): void {
    if (!this.#model || !this.#windowed || events.length === 0) return;
    this.#keep(events);
    this.#syncModel(true, false);
    this.#emit('events');
  }

  /** Events fetched from the engine (a hover card, a choice): `eventBySeq` finds them in a windowed view. */
  remember(events: readonly StoredEvent[]): void {
    for (const e of events) {
      this.#remembered.delete(e.seq);
      this.#remembered.set(e.seq, e);
    }
    while (this.#remembered.size > REMEMBERED_MAX) this.#remembered.delete(this.#remembered.keys().next().value!);
  }

  /** From here on the run is drawn from windowed queries: the model keeps only what the kernel view needs. */
  #becomeWindowed(): void {
    const run = this.#run!;
    const held = this.#events;
    this.#windowed = true;
    this.#model = new TraceModel(run.startTs);
    this.#model.addProcesses(run.processes);
    this.#model.runEnded = isFinal(run.status);
    this.#events = [];
    this.#messages = [];
    this.#occupancy = [];
    this.#keep(held.filter((e) => LIVE_WHOLE_KINDS.has(e.kind) || e.kind === 'message.bytes'));
    const last = held.at(-1);
    if (last) this.#model.seen(last);
    this.#syncModel(true, true);
  }

  /** Into a windowed view's model and list: events of the kept kinds not held yet, in time order for the model. */
  #keep(events: readonly StoredEvent[]): void {
    const model = this.#model!;
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local lookup, not state
    const have = new Set(this.#events.map((e) => e.seq));
    const fresh = events.filter((e) => !have.has(e.seq));
    if (fresh.length === 0) return;
    model.append(fresh);
    this.#events = [...this.#events, ...fresh].sort((a, b) => a.seq - b.seq);
    const messages = fresh.filter((e): e is StoredEventOf<'message.bytes'> => e.kind === 'message.bytes');
    if (messages.length > 0) this.#messages = [...this.#messages, ...messages].sort((a, b) => a.seq - b.seq).slice(-MESSAGE_BYTES_LIMIT);
  }

  update(run: RunSummary): void {
    if (!this.#model || this.#run?.runId !== run.runId) return;
    const wasFinal = this.#run !== null && isFinal(this.#run.status);
    this.#model.addProcesses(run.processes);
    this.#model.runEnded = isFinal(run.status);
    this.#run = run;
    this.#syncModel(false, false);
    if (!wasFinal && isFinal(run.status)) this.#openAtMoment(run);
    this.#emit('status');
  }

  #syncModel(kernelChanged: boolean, levelsChanged: boolean): void {
    const model = this.#model!;
    const lanesChanged = model.lanes.length !== this.#lanes.length || model.lanes.some((lane, i) => this.#lanes[i]?.role !== lane.role);
    if (lanesChanged) this.#lanes = model.lanes.map((lane) => ({ ...lane }));
    if (kernelChanged) this.#kernelVersion++;
    if (levelsChanged || model.occupancy.length !== this.#occupancy.length) {
      this.#occupancy = model.occupancy.map((track) => ({
        channel: track.channel,
        used: track.used[track.used.length - 1] ?? 0,
        capacity: track.capacity,
        maxUsed: track.maxUsed,
      }));
    }
    this.#version++;
  }

  /** The event with this seq, by binary search (events are in seq order), or one remembered. */
  eventBySeq(seq: number): StoredEvent | null {
    const remembered = this.#remembered.get(seq);
    if (remembered) return remembered;
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
