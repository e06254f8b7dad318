/**
 * A RunTrace over a run's events as stored, for the check worker (check-worker.ts). A read-only
 * connection of its own onto the run's database: in WAL mode a reader sees the last committed state
 * while the host keeps writing (https://sqlite.org/wal.html, "Concurrency"). Events are loaded one kind
 * at a time when a check first asks, parsed once, and shared by every check of the run that this
 * worker runs, so the slowest lab reads each kind of its 500,000-event trace once, not once per check.
 */
import Database from 'better-sqlite3';
import type { ParamValues, ProcessInfo } from '../contract/lab-model.js';
import type { StoredEvent, TraceEventKind } from '../contract/trace-events.js';
import { ofRole, type RunTrace } from './check-kit.js';

/** Rows per page of `scan`: enough that the per-query cost vanishes, few enough to keep a page small. */
const SCAN_PAGE = 10_000;

/**
 * The stored JSON with its run and sequence number. Assigned onto the parsed object, not spread into a
 * new one (`{...JSON.parse(d), runId, seq}`): the copy cost more than the parse (2.07 s against 0.78 s
 * for 360k rows). The keys come out in the same order either way.
 */
function parsed(runId: number, seq: number, data: string): StoredEvent {
  const event = JSON.parse(data) as StoredEvent;
  event.runId = runId;
  event.seq = seq;
  return event;
}

export class StoredTrace {
  private readonly db: Database.Database;
  private readonly ofKind: Database.Statement<[number, string]>;
  private readonly all: Database.Statement<[number]>;
  private readonly page: Database.Statement<[number, number, number]>;
  private readonly cache = new Map<string, StoredEvent[]>();
  private everything: StoredEvent[] | undefined;

  /** `onLoad` hears how long each read of the database took (the check worker tells the host: not the check's own time). */
  constructor(
    dbFile: string,
    private readonly runId: number,
    private readonly onLoad: (ms: number) => void = () => {},
  ) {
    try {
      this.db = new Database(dbFile, { readonly: true, fileMustExist: true });
    } catch (error) {
      throw new Error(`the run's trace in ${dbFile} cannot be read (${(error as Error).message})`, { cause: error });
    }
    this.ofKind = this.db.prepare('SELECT seq, data FROM events WHERE run_id = ? AND kind = ? ORDER BY seq');
    this.all = this.db.prepare('SELECT seq, data FROM events WHERE run_id = ? ORDER BY seq');
    this.page = this.db.prepare('SELECT seq, kind, data FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?');
  }

  /** The trace the checks see, with the run's parameters and processes as the host read them. */
  trace(params: ParamValues, processes: ProcessInfo[]): RunTrace {
    const events = (kind?: TraceEventKind, role?: string): StoredEvent[] => ofRole(kind === undefined ? this.allEvents() : this.kind(kind), role);
    return {
      params,
      processes,
      events: events as RunTrace['events'],
      scan: (kinds) => this.scan(kinds),
    };
  }

  close(): void {
    this.db.close();
  }

  private kind(kind: string): StoredEvent[] {
    let events = this.cache.get(kind);
    if (!events) {
      const started = performance.now();
      events = this.everything
        ? this.everything.filter((e) => e.kind === kind)
        : (this.ofKind.raw().all(this.runId, kind) as [number, string][]).map(([seq, data]) => parsed(this.runId, seq, data));
      this.cache.set(kind, events);
      this.onLoad(performance.now() - started);
    }
    return events;
  }

  private allEvents(): StoredEvent[] {
    if (!this.everything) {
      const started = performance.now();
      this.everything = (this.all.raw().all(this.runId) as [number, string][]).map(([seq, data]) => parsed(this.runId, seq, data));
      this.onLoad(performance.now() - started);
    }
    return this.everything;
  }

  private *scan(kinds?: readonly TraceEventKind[]): Iterable<StoredEvent> {
    const wanted = kinds && new Set<string>(kinds);
    for (let after = 0; ;) {
      const rows = this.page.raw().all(this.runId, after, SCAN_PAGE) as [number, string, string][];
      if (rows.length === 0) return;
      for (const [seq, kind, data] of rows) if (!wanted || wanted.has(kind)) yield parsed(this.runId, seq, data);
      after = rows.at(-1)![0];
    }
  }
}
