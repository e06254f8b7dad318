/**
 * A RunTrace over a run's events as stored, for the check worker (check-worker.ts). A read-only
 * connection of its own onto the run's database: in WAL mode a reader sees the last committed state
 * while the host keeps writing (https://sqlite.org/wal.html, "Concurrency").
 *
 * What a read costs: the events table has no index on kind, so any question about a kind (a count, a
 * page of a stream) walks the run's rows in the primary key's order, about 0.2 s for a million events
 * on this machine, however few match. So questions are answered from what is already held when they
 * can be, and the kinds that stay small are read together:
 *
 * - The first question about a kind outside GROWING_KINDS reads every such kind of the run in one pass
 *   (at most SMALL_KIND_LIMIT events each: a kind with more is read on its own when asked), parsed once
 *   and shared by every check this worker runs.
 * - A kind in GROWING_KINDS is never held whole unless a check calls `events()` on it: `stream` reads it
 *   STREAM_PAGE events at a time (keyset pages on seq), `count` asks SQLite (and a stream of a kind and
 *   role counted as none reads nothing), `first` and `last` stop at the first match from either end.
 * - A role is matched in SQL on the event's own field (json_extract(data, '$.role')): exactly the
 *   events `e.role === role` keeps. (Matching the pids the processes table gives a role was no faster,
 *   and a snapshot of a process not yet announced carries a role the table does not know.)
 */
import Database from 'better-sqlite3';
import type { ParamValues, ProcessInfo } from '../contract/lab-model.js';
import type { StoredEvent, TraceEventKind } from '../contract/trace-events.js';
import { ofRole, type RunTrace } from './check-kit.js';

/** Rows per page of `scan`: enough that the per-query cost vanishes, few enough to keep a page small. */
const SCAN_PAGE = 10_000;
/** Events per page of `stream`: what a stream holds at once. */
const STREAM_PAGE = 4_096;
/**
 * The kinds whose number grows with a run's parameters (messages, calls, writes): read a page at a time,
 * never in the pass that loads the small kinds together.
 */
export const GROWING_KINDS: readonly TraceEventKind[] = [
  'message.send',
  'message.receive',
  'message.bytes',
  'io.begin',
  'io.end',
  'buffer.level',
  'rpc.call',
  'rpc.execute',
  'rpc.reply',
  'rpc.duplicate',
];
/** Past this many events, a kind outside GROWING_KINDS is not kept from the shared pass (it is read on its own when asked). */
const SMALL_KIND_LIMIT = 20_000;

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

const GROWING = new Set<string>(GROWING_KINDS);
/** A kind and role as one key (NUL cannot occur in either). */
const countKey = (kind: string, role?: string) => (role === undefined ? kind : `${kind}\0${role}`);
const ROLE = "json_extract(data, '$.role')";

export class StoredTrace {
  private readonly db: Database.Database;
  private readonly ofKind: Database.Statement<[number, string]>;
  private readonly all: Database.Statement<[number]>;
  private readonly page: Database.Statement<[number, number, number]>;
  private readonly smallPage: Database.Statement<[number, number, number]>;
  private readonly kindPage: Database.Statement<[number, string, number, number]>;
  private readonly kindRolePage: Database.Statement<[number, string, string, number, number]>;
  private readonly lastOfKind: Database.Statement<[number, string]>;
  private readonly lastOfKindRole: Database.Statement<[number, string, string]>;
  private readonly countOfKind: Database.Statement<[number, string]>;
  private readonly countOfKindRole: Database.Statement<[number, string, string]>;
  private readonly cache = new Map<string, StoredEvent[]>();
  /** Counts asked for, by kind and role (kind alone for every role): a stream of none need not look. */
  private readonly counts = new Map<string, number>();
  /** Whether the small kinds were read together, and which of them had too many to keep. */
  private smallRead = false;
  private readonly tooMany = new Set<string>();
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
    const growing = GROWING_KINDS.map((k) => `'${k}'`).join(', ');
    this.ofKind = this.db.prepare('SELECT seq, data FROM events WHERE run_id = ? AND kind = ? ORDER BY seq');
    this.all = this.db.prepare('SELECT seq, data FROM events WHERE run_id = ? ORDER BY seq');
    this.page = this.db.prepare('SELECT seq, kind, data FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?');
    this.smallPage = this.db.prepare(`SELECT seq, kind, data FROM events WHERE run_id = ? AND seq > ? AND kind NOT IN (${growing}) ORDER BY seq LIMIT ?`);
    this.kindPage = this.db.prepare('SELECT seq, data FROM events WHERE run_id = ? AND kind = ? AND seq > ? ORDER BY seq LIMIT ?');
    this.kindRolePage = this.db.prepare(`SELECT seq, data FROM events WHERE run_id = ? AND kind = ? AND ${ROLE} = ? AND seq > ? ORDER BY seq LIMIT ?`);
    this.lastOfKind = this.db.prepare('SELECT seq, data FROM events WHERE run_id = ? AND kind = ? ORDER BY seq DESC LIMIT 1');
    this.lastOfKindRole = this.db.prepare(`SELECT seq, data FROM events WHERE run_id = ? AND kind = ? AND ${ROLE} = ? ORDER BY seq DESC LIMIT 1`);
    this.countOfKind = this.db.prepare('SELECT count(*) FROM events WHERE run_id = ? AND kind = ?');
    this.countOfKindRole = this.db.prepare(`SELECT count(*) FROM events WHERE run_id = ? AND kind = ? AND ${ROLE} = ?`);
  }

  /** The trace the checks see, with the run's parameters and processes as the host read them. */
  trace(params: ParamValues, processes: ProcessInfo[]): RunTrace {
    const events = (kind?: TraceEventKind, role?: string): StoredEvent[] => ofRole(kind === undefined ? this.allEvents() : this.kind(kind), role);
    return {
      params,
      processes,
      events: events as RunTrace['events'],
      count: (kind, role) => this.count(kind, role),
      stream: ((kind: TraceEventKind, role?: string) => this.stream(kind, role)) as RunTrace['stream'],
      first: ((kind: TraceEventKind, role?: string) => this.first(kind, role)) as RunTrace['first'],
      last: ((kind: TraceEventKind, role?: string) => this.last(kind, role)) as RunTrace['last'],
      scan: (kinds) => this.scan(kinds),
    };
  }

  close(): void {
    this.db.close();
  }

  /** `work`, its time told to onLoad: reading the database is IPC Lab's time, not the check's. */
  private timed<T>(work: () => T): T {
    const started = performance.now();
    try {
      return work();
    } finally {
      this.onLoad(performance.now() - started);
    }
  }

  /** The kind as held (loaded whole, or from the pass over the small kinds), or undefined when it is to be read. */
  private held(kind: string): StoredEvent[] | undefined {
    const cached = this.cache.get(kind);
    if (cached) return cached;
    if (this.everything) return this.kind(kind);
    if (GROWING.has(kind)) return undefined;
    if (!this.smallRead) this.readSmallKinds();
    return this.cache.get(kind);
  }

  /** One pass over every kind outside GROWING_KINDS; a kind with more than SMALL_KIND_LIMIT events is left to be read alone. */
  private readSmallKinds(): void {
    this.smallRead = true;
    this.timed(() => {
      const found = new Map<string, StoredEvent[]>();
      for (let after = 0; ;) {
        const rows = this.smallPage.raw().all(this.runId, after, SCAN_PAGE) as [number, string, string][];
        if (rows.length === 0) break;
        for (const [seq, kind, data] of rows) {
          if (this.tooMany.has(kind)) continue;
          let list = found.get(kind);
          if (!list) found.set(kind, (list = []));
          if (list.length === SMALL_KIND_LIMIT) {
            this.tooMany.add(kind);
            found.delete(kind);
          } else list.push(parsed(this.runId, seq, data));
        }
        after = rows.at(-1)![0];
      }
      for (const [kind, list] of found) this.cache.set(kind, list);
    });
  }

  private kind(kind: string): StoredEvent[] {
    let events = this.cache.get(kind);
    if (!events && !GROWING.has(kind) && !this.everything && !this.smallRead) {
      this.readSmallKinds();
      events = this.cache.get(kind);
    }
    if (!events) {
      // A small kind the shared pass did not find has no event (unless it had too many to keep).
      if (!GROWING.has(kind) && this.smallRead && !this.tooMany.has(kind) && !this.everything) events = [];
      else
        events = this.timed(() =>
          this.everything
            ? this.everything.filter((e) => e.kind === kind)
            : (this.ofKind.raw().all(this.runId, kind) as [number, string][]).map(([seq, data]) => parsed(this.runId, seq, data)),
        );
      this.cache.set(kind, events);
    }
    return events;
  }

  private count(kind: string, role?: string): number {
    const held = this.held(kind);
    if (held) return role === undefined ? held.length : held.reduce((n, e) => n + (e.role === role ? 1 : 0), 0);
    const key = countKey(kind, role);
    let n = this.counts.get(key);
    if (n === undefined) {
      n = this.timed(
        () => (role === undefined ? this.countOfKind.pluck().get(this.runId, kind) : this.countOfKindRole.pluck().get(this.runId, kind, role)) as number,
      );
      this.counts.set(key, n);
    }
    return n;
  }

  /** Whether the run is known, from a count, to have no event of `kind` from `role`: no need to look. */
  private countedNone(kind: string, role?: string): boolean {
    return this.counts.get(countKey(kind, role)) === 0 || this.counts.get(countKey(kind)) === 0;
  }

  private *stream(kind: string, role?: string): Iterable<StoredEvent> {
    const held = this.held(kind);
    if (held) {
      for (const e of held) if (role === undefined || e.role === role) yield e;
      return;
    }
    if (this.countedNone(kind, role)) return;
    for (let after = 0; ;) {
      const from = after;
      // A page read and parsed (IPC Lab's time, as for a kind loaded whole), then handed out.
      const page = this.timed(() =>
        (
          (role === undefined
            ? this.kindPage.raw().all(this.runId, kind, from, STREAM_PAGE)
            : this.kindRolePage.raw().all(this.runId, kind, role, from, STREAM_PAGE)) as [number, string][]
        ).map(([seq, data]) => parsed(this.runId, seq, data)),
      );
      yield* page;
      if (page.length < STREAM_PAGE) return;
      after = page.at(-1)!.seq;
    }
  }

  private first(kind: string, role?: string): StoredEvent | undefined {
    const held = this.held(kind);
    if (held) return held.find((e) => role === undefined || e.role === role);
    if (this.countedNone(kind, role)) return undefined;
    const [row] = this.timed(
      () =>
        (role === undefined ? this.kindPage.raw().all(this.runId, kind, 0, 1) : this.kindRolePage.raw().all(this.runId, kind, role, 0, 1)) as [
          number,
          string,
        ][],
    );
    return row && parsed(this.runId, row[0], row[1]);
  }

  private last(kind: string, role?: string): StoredEvent | undefined {
    const held = this.held(kind);
    if (held) return held.findLast((e) => role === undefined || e.role === role);
    if (this.countedNone(kind, role)) return undefined;
    const row = this.timed(
      () =>
        (role === undefined ? this.lastOfKind.raw().get(this.runId, kind) : this.lastOfKindRole.raw().get(this.runId, kind, role)) as
          [number, string] | undefined,
    );
    return row && parsed(this.runId, row[0], row[1]);
  }

  private allEvents(): StoredEvent[] {
    if (!this.everything) {
      this.everything = this.timed(() => (this.all.raw().all(this.runId) as [number, string][]).map(([seq, data]) => parsed(this.runId, seq, data)));
    }
    return this.everything;
  }

  private *scan(kinds?: readonly TraceEventKind[]): Iterable<StoredEvent> {
    const wanted = kinds && new Set<string>(kinds);
    for (let after = 0; ;) {
      const from = after;
      const rows = this.timed(() => this.page.raw().all(this.runId, from, SCAN_PAGE) as [number, string, string][]);
      if (rows.length === 0) return;
      const page = this.timed(() => rows.flatMap(([seq, kind, data]) => (!wanted || wanted.has(kind) ? [parsed(this.runId, seq, data)] : [])));
      yield* page;
      after = rows.at(-1)![0];
    }
  }
}
