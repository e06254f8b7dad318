/**
 * One run as the page shows it: its summary (status, processes, checks), every event so far, and the
 * timeline model built from them. Events live in a `$state.raw` array replaced per batch (never deeply
 * proxied); the timeline model is plain and mutable, and `version` tells the canvas to repaint.
 *
 * The time cursor: the student may pin a moment of the run on the timeline; the kernel view then shows
 * each process as /proc saw it at that moment (its latest snapshot at or before it) instead of the
 * latest one, which after a run has ended is often not the interesting one.
 */
import type { RunSummary } from '../../../../main/contract/lab-model.js';
import type { StoredEvent, StoredEventOf } from '../../../../main/contract/trace-events.js';
import { isFinal } from '../format.js';
import { TraceModel, type Cleanup, type KernelSnapshot, type Lane, type ShmObjects } from '../trace/trace-model.js';

/** How many of the latest events the text view lists. */
export const RECENT_EVENT_LIMIT = 300;

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

/** The kinds that change what the kernel view shows. */
const KERNEL_KINDS = new Set(['kernel.snapshot', 'kernel.objects', 'host.cleanup']);

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
  #version = $state(0);
  #model: TraceModel | null = null;
  #lastSeq = 0;

  readonly recentEvents = $derived(this.#events.length > RECENT_EVENT_LIMIT ? this.#events.slice(-RECENT_EVENT_LIMIT) : this.#events);
  readonly finished = $derived(this.#run !== null && isFinal(this.#run.status));
  readonly active = $derived(this.#run !== null && !isFinal(this.#run.status));

  /** What the kernel view shows: each process at the cursor, or its latest snapshot. */
  readonly kernel = $derived.by((): readonly KernelSnapshot[] => {
    void this.#kernelVersion;
    return this.#model?.snapshotsAt(this.#cursorT) ?? [];
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

  /** pipe:[inode] targets open in two or more processes: the two ends of one pipe. */
  readonly sharedPipes = $derived.by((): SharedPipe[] => {
    const byTarget = new Map<string, Set<number>>();
    for (const snapshot of this.kernel) {
      for (const fd of snapshot.fds) {
        if (!fd.target.startsWith('pipe:[')) continue;
        let pids = byTarget.get(fd.target);
        if (!pids) byTarget.set(fd.target, (pids = new Set()));
        pids.add(snapshot.pid);
      }
    }
    return [...byTarget].filter(([, pids]) => pids.size > 1).map(([target, pids]) => ({ target, pids: [...pids] }));
  });

  /** /dev/shm files mapped by two or more processes: one shared segment. */
  readonly sharedMappings = $derived.by((): SharedMapping[] => {
    const byPath = new Map<string, Set<number>>();
    for (const snapshot of this.kernel) {
      for (const map of snapshot.maps) {
        let pids = byPath.get(map.path);
        if (!pids) byPath.set(map.path, (pids = new Set()));
        pids.add(snapshot.pid);
      }
    }
    return [...byPath].filter(([, pids]) => pids.size > 1).map(([path, pids]) => ({ path, pids: [...pids] }));
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
    this.#messages = [];
    this.#lastSeq = 0;
    this.#occupancy = [];
    this.#cursorT = null;
    this.#kernelVersion++;
    this.append(events);
    this.#syncModel(true, true);
  }

  clear(): void {
    this.#model = null;
    this.#run = null;
    this.#events = [];
    this.#messages = [];
    this.#lanes = [];
    this.#occupancy = [];
    this.#cursorT = null;
    this.#lastSeq = 0;
    this.#kernelVersion++;
    this.#version++;
  }

  /** Pins the kernel view to a moment (ms since the start), clamped to the run so far. */
  setCursor(t: number): void {
    const end = this.#model?.endT ?? 0;
    this.#cursorT = Math.min(Math.max(t, 0), end);
  }

  /** Back to the live (or, after the run, the latest) kernel view. */
  clearCursor(): void {
    this.#cursorT = null;
  }

  /** The nearest moment before (-1) or after (+1) `t` at which the kernel view changes, or null. */
  kernelChangeNear(t: number, direction: -1 | 1): number | null {
    const times = this.#model?.kernelChangeTimes() ?? [];
    if (direction > 0) return times.find((x) => x > t + 1e-9) ?? null;
    for (let i = times.length - 1; i >= 0; i--) if (times[i]! < t - 1e-9) return times[i]!;
    return null;
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
    const messages = fresh.filter((e): e is StoredEventOf<'message.bytes'> => e.kind === 'message.bytes');
    if (messages.length > 0) this.#messages = this.#messages.concat(messages).slice(-MESSAGE_BYTES_LIMIT);
    this.#syncModel(
      fresh.some((e) => KERNEL_KINDS.has(e.kind)),
      fresh.some((e) => e.kind === 'buffer.level'),
    );
  }

  update(run: RunSummary): void {
    if (!this.#model || this.#run?.runId !== run.runId) return;
    this.#model.addProcesses(run.processes);
    this.#run = run;
    this.#syncModel(false, false);
  }

  #syncModel(kernelChanged: boolean, levelsChanged: boolean): void {
    const model = this.#model!;
    const lanesChanged =
      model.lanes.length !== this.#lanes.length || model.lanes.some((lane, i) => this.#lanes[i]?.role !== lane.role);
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
