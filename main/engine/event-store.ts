/**
 * The event store: one SQLite file (better-sqlite3, WAL) holding sessions, runs, their processes and
 * trace events, step progress and the student's answers. One writer (the engine), prepared statements,
 * one transaction per batch of events.
 *
 * Migrations are numbered and run in order inside a transaction; `PRAGMA user_version` records the last
 * one applied. Never edit a shipped migration: add the next number.
 */
import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../contract/errors.js';
import type {
  AnswerValue,
  CheckResult,
  ParamValues,
  ProcessInfo,
  RunStatus,
  RunSummary,
  SavedAnswer,
  SessionSummary,
  StepProgress,
  StepStatus,
} from '../contract/lab-model.js';
import { processIdentity } from './leftovers.js';
import type { AnswerRevision, MachineFacts, RunEndRecord, RunHeaderRecord } from '../contract/report-format.js';
import type { StoredEvent } from '../contract/trace-events.js';
import { answerRecord, CHAIN_START, chainOver, eventHash, nextLink, questionAnswerRecord, recordHash } from './evidence-chain.js';
import { FOLLOWABLE_KINDS, storedEvent, TraceIndex } from './trace-window.js';
import type { CheckedRequest, CommandResponses, TraceWindow } from '../contract/commands.js';

const MIGRATIONS: string[] = [
  /* 1 */ `
  CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    lab_id TEXT NOT NULL,
    started_at TEXT NOT NULL
  );
  CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    lab_id TEXT NOT NULL,
    step_id TEXT,
    scenario_id TEXT NOT NULL,
    params TEXT NOT NULL,
    status TEXT NOT NULL,
    start_ts TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    message TEXT,
    checks TEXT NOT NULL DEFAULT '[]'
  );
  CREATE INDEX runs_by_session ON runs(session_id);
  CREATE TABLE processes (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    pid INTEGER NOT NULL,
    ppid INTEGER NOT NULL,
    role TEXT NOT NULL,
    program TEXT NOT NULL,
    state TEXT NOT NULL,
    exit_code INTEGER,
    signal TEXT,
    PRIMARY KEY (run_id, pid)
  ) WITHOUT ROWID;
  -- data is the event's JSON as the process wrote it (or as the host made it); the other columns are
  -- copies of its fields for queries.
  CREATE TABLE events (
    run_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    pid INTEGER NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
  ) WITHOUT ROWID;
  CREATE TABLE step_progress (
    lab_id TEXT NOT NULL,
    step_id TEXT NOT NULL,
    status TEXT NOT NULL,
    last_run_id INTEGER,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (lab_id, step_id)
  );
  CREATE TABLE answers (
    lab_id TEXT NOT NULL,
    step_id TEXT NOT NULL,
    text TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (lab_id, step_id)
  );`,
  /* 2 */ `
  -- The engine that runs it ("<pid>:<start time>", see processIdentity): a second engine on the same data
  -- folder (the CLI beside the app) must not take a live run of the first for abandoned.
  ALTER TABLE runs ADD COLUMN owner TEXT;`,
  /* 3 */ `
  -- Evidence (main/engine/evidence-chain.ts): each run's records are hash-chained as they are stored;
  -- chain_head is the last link. Runs stored before this migration have none.
  ALTER TABLE runs ADD COLUMN lab_version TEXT;
  ALTER TABLE runs ADD COLUMN machine TEXT;
  ALTER TABLE runs ADD COLUMN chain_head TEXT;
  -- The chain's last record as it was hashed (JSON): what a report shows of how the run ended.
  ALTER TABLE runs ADD COLUMN end_record TEXT;
  -- Every saved version of an answer, never overwritten; link chains a step's versions.
  CREATE TABLE answer_revisions (
    id INTEGER PRIMARY KEY,
    lab_id TEXT NOT NULL,
    step_id TEXT NOT NULL,
    text TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    link TEXT NOT NULL
  );
  CREATE INDEX answer_revisions_by_step ON answer_revisions(lab_id, step_id, id);
  CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;`,
  /* 4 */ `
  -- Every saved version of an answer to a step's question, never changed: an edit is a new row. value is
  -- the answer as JSON (null: skipped); link chains a step's versions (evidence-chain.ts).
  CREATE TABLE question_answers (
    id INTEGER PRIMARY KEY,
    lab_id TEXT NOT NULL,
    step_id TEXT NOT NULL,
    question_id TEXT NOT NULL,
    value TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    link TEXT NOT NULL
  );
  CREATE INDEX question_answers_by_step ON question_answers(lab_id, step_id, id);
  -- What the run tested: the step's question answers saved up to this id, whose chain link was
  -- answers_head (in the run's header record, so a report shows the answers came before the run).
  ALTER TABLE runs ADD COLUMN answers_upto INTEGER;
  ALTER TABLE runs ADD COLUMN answers_head TEXT;`,
  /* 5 */ `
  -- Windowed trace queries (issue 13, main/engine/trace-window.ts): events by time (the event list, jumps)
  -- and by process and time (a lane's raw marks), and summaries filled as each batch is stored. Times
  -- (ts, t0, t1, from_ts, to_ts) are monotonic ns as in events.ts; buckets count from the run's start_ts.
  CREATE INDEX events_by_time ON events(run_id, ts);
  CREATE INDEX events_by_lane ON events(run_id, pid, ts);
  -- One row per process with a lane, first_seq giving the lanes' order.
  CREATE TABLE trace_lanes (
    run_id INTEGER NOT NULL, pid INTEGER NOT NULL, role TEXT NOT NULL, first_seq INTEGER NOT NULL,
    PRIMARY KEY (run_id, pid)
  ) WITHOUT ROWID;
  -- Marks per kind (contract/trace-marks.ts) per lane, in buckets of 2^(16+2*level) ns.
  CREATE TABLE trace_marks (
    run_id INTEGER NOT NULL, level INTEGER NOT NULL, bucket INTEGER NOT NULL, pid INTEGER NOT NULL, mark TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (run_id, level, bucket, pid, mark)
  ) WITHOUT ROWID;
  -- Calls that blocked longer than BLOCKED_THRESHOLD_NS; seq is the io.end or io.error that ended one, code its errno.
  CREATE TABLE trace_bars (
    run_id INTEGER NOT NULL, t1 INTEGER NOT NULL, seq INTEGER NOT NULL, pid INTEGER NOT NULL, t0 INTEGER NOT NULL,
    op TEXT NOT NULL, channel TEXT NOT NULL, code TEXT,
    PRIMARY KEY (run_id, t1, seq)
  ) WITHOUT ROWID;
  -- A message.send and its message.receive (or a TCP socket.connect and its socket.accept: message_id null).
  CREATE TABLE trace_arrows (
    run_id INTEGER NOT NULL, from_seq INTEGER NOT NULL, from_pid INTEGER NOT NULL, from_ts INTEGER NOT NULL,
    to_seq INTEGER NOT NULL, to_pid INTEGER NOT NULL, to_ts INTEGER NOT NULL, channel TEXT NOT NULL, message_id INTEGER,
    PRIMARY KEY (run_id, from_seq)
  ) WITHOUT ROWID;
  CREATE INDEX trace_arrows_by_send ON trace_arrows(run_id, from_ts);
  CREATE INDEX trace_arrows_by_receive ON trace_arrows(run_id, to_ts);
  -- Arrows per pair of lanes, in buckets of the send's time.
  CREATE TABLE trace_arrow_buckets (
    run_id INTEGER NOT NULL, level INTEGER NOT NULL, bucket INTEGER NOT NULL, from_pid INTEGER NOT NULL, to_pid INTEGER NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (run_id, level, bucket, from_pid, to_pid)
  ) WITHOUT ROWID;
  -- One row per buffer that reported its level, with the latest capacity it reported (null: unbounded).
  CREATE TABLE trace_tracks (
    run_id INTEGER NOT NULL, channel TEXT NOT NULL, first_seq INTEGER NOT NULL, capacity INTEGER,
    PRIMARY KEY (run_id, channel)
  ) WITHOUT ROWID;
  -- Every buffer.level, and its min and max per bucket.
  CREATE TABLE trace_levels (
    run_id INTEGER NOT NULL, channel TEXT NOT NULL, ts INTEGER NOT NULL, seq INTEGER NOT NULL, used INTEGER NOT NULL, capacity INTEGER,
    PRIMARY KEY (run_id, channel, ts, seq)
  ) WITHOUT ROWID;
  CREATE TABLE trace_level_buckets (
    run_id INTEGER NOT NULL, level INTEGER NOT NULL, channel TEXT NOT NULL, bucket INTEGER NOT NULL, min_used INTEGER NOT NULL, max_used INTEGER NOT NULL,
    PRIMARY KEY (run_id, level, channel, bucket)
  ) WITHOUT ROWID;`,
];

/** The most rows one page of some kinds reads (eventPageOfKinds): ~30 ms of the engine's time. */
export const KIND_PAGE_SCAN_ROWS = 100_000;

/** Work a migration needs beyond SQL, run in the same transaction, after it. */
const MIGRATION_STEPS: Record<number, (store: EventStore) => void> = {
  // Answers saved before revisions were kept become each step's first revision, at their last save.
  3: (store) => store.seedAnswerRevisions(),
  // Runs stored before the summaries get theirs, from their events in the order they were stored.
  5: (store) => store.summariseStoredRuns(),
};

/** An event ready to store: its JSON text plus the fields the columns copy. */
export interface EventRow {
  seq: number;
  /** Monotonic ns as a decimal string: the column's INTEGER affinity stores it as a 64-bit integer. */
  ts: string;
  pid: number;
  kind: string;
  data: string;
}

const ROWS_PER_INSERT = 64;

/** What the store keeps of a step's progress itself. */
export type StoredProgress = Pick<StepProgress, 'status' | 'answer' | 'lastRunId'>;

interface RunRow {
  id: number;
  answers_head: string | null;
  lab_version: string | null;
  machine: string | null;
  chain_head: string | null;
  session_id: number;
  lab_id: string;
  step_id: string | null;
  scenario_id: string;
  params: string;
  status: RunStatus;
  start_ts: string;
  started_at: string;
  ended_at: string | null;
  message: string | null;
  checks: string;
}

interface ProcessRow {
  pid: number;
  ppid: number;
  role: string;
  program: string;
  state: ProcessInfo['state'];
  exit_code: number | null;
  signal: string | null;
}

/**
 * The database holds the student's answers and traces: only its owner may read it. SQLite creates the
 * -wal and -shm files with the mode of the database file (os_unix.c), so the file is made 0600 before
 * SQLite opens it, whatever the umask; files an older version left readable lose those bits.
 */
function keepToOwner(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(path) && (statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
}

const warnedFolders = new Set<string>();

/** Once per folder and process: a data folder others can list shows them what the student works on (and any file in it made readable). */
function warnIfReadableByOthers(dataDir: string): void {
  const mode = statSync(dataDir).mode & 0o777;
  if ((mode & 0o044) === 0 || warnedFolders.has(dataDir)) return;
  warnedFolders.add(dataDir);
  process.emitWarning(`The IPC Lab data folder ${dataDir} can be read by other users (mode ${mode.toString(8).padStart(4, '0')}). Fix: chmod 700 ${dataDir}`, {
    code: 'IPC_LAB_DATA_FOLDER_READABLE',
  });
}

/**
 * How SQLite and the file system say the disk is full: SQLITE_FULL; an SQLITE_IOERR_* (a write, a WAL
 * index grown with ftruncate, an fsync that failed for want of blocks: SQLite reports those as I/O errors,
 * not as FULL); ENOSPC and EDQUOT from Node.
 */
export function isDiskFull(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && (code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR') || code === 'ENOSPC' || code === 'EDQUOT');
}

/** Nothing more can be stored: the disk holding the data folder is full (or the store was opened read-only because it was). */
export class DiskFullError extends UserError {
  constructor(readonly dataDir: string) {
    super(
      'disk-full',
      `The disk holding ${dataDir} is full; free space or set IPC_LAB_HOME elsewhere.`,
      'Free space on that disk (everything stored so far is kept), or set IPC_LAB_HOME to a folder on another disk, then start IPC Lab again.',
    );
  }
}

/**
 * A file of RESERVE_BYTES kept in the data folder and deleted on the first disk-full error: the space
 * it gave back lets the run that hit the full disk store how it ended (its status, message, processes).
 */
export const RESERVE_FILE = 'ipc-lab.reserve';
const RESERVE_BYTES = 256 * 1024;

/** The store's methods that write: each turns a full disk into a DiskFullError (and refuses at once when read-only). */
const WRITES = [
  'createSession',
  'createRun',
  'updateRunStatus',
  'finishRun',
  'closeAbandonedRuns',
  'upsertProcess',
  'insertEvents',
  'recordStepOutcome',
  'saveAnswer',
  'saveQuestionAnswer',
  'setSetting',
  'deleteRun',
] as const;

export class EventStore {
  private readonly db: Database.Database;
  readonly dataDir: string;
  /**
   * Opened on a full disk: SQLite could not set up its WAL index there, so the database is opened in
   * exclusive locking mode (the index kept in memory: https://sqlite.org/wal.html#noshm) and nothing is
   * written. Past runs can be read and exported; another process cannot open the database meanwhile.
   */
  readonly readOnly: boolean;
  /** A write failed for want of space (the reserve is released): only the run that hit it still writes, to store how it ended. */
  private full = false;
  /** Read-only: settings made once (settingOnce) that could not be stored. */
  private readonly unsavedSettings = new Map<string, string>();
  private readonly insertOne: Database.Statement;
  private readonly insertMany: Database.Statement;
  private readonly insertBatch: (runId: number, rows: EventRow[]) => void;
  private traceIndex: TraceIndex | undefined;
  /** The trace summaries and window queries (trace-window.ts); made once migration 5 has made their tables. */
  private get trace(): TraceIndex {
    return (this.traceIndex ??= new TraceIndex(this.db));
  }

  constructor(
    readonly file: string,
    options: { readOnly?: boolean } = {},
  ) {
    this.dataDir = dirname(file);
    this.readOnly = options.readOnly ?? false;
    keepToOwner(file);
    this.db = new Database(file);
    try {
      if (this.readOnly) {
        // Before the first read: in exclusive mode SQLite never creates the -shm file, which a full disk refuses.
        this.db.pragma('locking_mode = EXCLUSIVE');
        if ((this.db.pragma('user_version', { simple: true }) as number) !== MIGRATIONS.length) throw new DiskFullError(this.dataDir);
      } else {
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = NORMAL');
        this.db.pragma('foreign_keys = ON');
        this.migrate();
      }
    } catch (error) {
      // Closed, or its locks keep the read-only fallback (or the next start) out.
      this.db.close();
      throw isDiskFull(error) ? new DiskFullError(this.dataDir) : error;
    }
    if (!this.readOnly) this.full = !this.keepReserve();
    const values = '(?, ?, ?, ?, ?, ?)';
    this.insertOne = this.db.prepare(`INSERT INTO events (run_id, seq, ts, pid, kind, data) VALUES ${values}`);
    this.insertMany = this.db.prepare(`INSERT INTO events (run_id, seq, ts, pid, kind, data) VALUES ${Array(ROWS_PER_INSERT).fill(values).join(', ')}`);
    // Many rows per statement: better-sqlite3's per-call cost, not SQLite, bounds single-row inserts.
    this.insertBatch = this.db.transaction((runId: number, rows: EventRow[]) => {
      this.extendChain(
        runId,
        rows.map((row) => eventHash(runId, row.seq, row.data)),
      );
      let i = 0;
      const args: unknown[] = [];
      for (; i + ROWS_PER_INSERT <= rows.length; i += ROWS_PER_INSERT) {
        args.length = 0;
        for (let j = i; j < i + ROWS_PER_INSERT; j++) {
          const row = rows[j]!;
          args.push(runId, row.seq, row.ts, row.pid, row.kind, row.data);
        }
        this.insertMany.run(args);
      }
      for (; i < rows.length; i++) {
        const row = rows[i]!;
        this.insertOne.run(runId, row.seq, row.ts, row.pid, row.kind, row.data);
      }
      this.trace.add(runId, rows);
    });
  }

  static open(dataDir: string, options: { readOnly?: boolean } = {}): EventStore {
    try {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    } catch (error) {
      // EEXIST (a file where the folder should be), ENOTDIR, EACCES, EROFS: the folder is the user's to fix.
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
      throw new UserError(
        'bad-environment',
        `IPC Lab cannot make its data folder ${dataDir} (${code}).`,
        'Set IPC_LAB_HOME to a folder you can write to, or move what is in the way.',
      );
    }
    warnIfReadableByOthers(dataDir);
    return new EventStore(join(dataDir, 'ipc-lab.sqlite'), options);
  }

  /** Nothing new may be stored: the disk filled during this engine's life, or it was full when it started. */
  get diskFull(): boolean {
    return this.full || this.readOnly;
  }

  /**
   * Throws DiskFullError unless new work (a run, an answer) can be stored. After a disk-full error, the
   * reserve is made again first: if that fits, space was freed and writing goes on.
   */
  assertWritable(): void {
    if (this.readOnly || (this.full && !this.keepReserve())) throw new DiskFullError(this.dataDir);
    this.full = false;
  }

  /** Makes the reserve file if it is missing; false when the disk has no room for it. */
  private keepReserve(): boolean {
    const path = join(this.dataDir, RESERVE_FILE);
    try {
      if (statSync(path).size === RESERVE_BYTES) return true;
    } catch {
      // Not there yet.
    }
    try {
      writeFileSync(path, Buffer.alloc(RESERVE_BYTES), { mode: 0o600 });
      return true;
    } catch (error) {
      if (!isDiskFull(error)) throw error;
      releaseReserve(path);
      return false;
    }
  }

  /** Runs a write; a full disk becomes DiskFullError, and the reserve is given back for the writes that end a run. */
  private writing<T>(write: () => T): T {
    if (this.readOnly) throw new DiskFullError(this.dataDir);
    try {
      return write();
    } catch (error) {
      if (!isDiskFull(error)) throw error;
      this.full = true;
      releaseReserve(join(this.dataDir, RESERVE_FILE));
      throw new DiskFullError(this.dataDir);
    }
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    if (current > MIGRATIONS.length) {
      throw new Error(
        `The database ${this.file} was written by a newer IPC Lab (schema ${current}, this one knows ${MIGRATIONS.length}). Fix: update IPC Lab, or point IPC_LAB_HOME elsewhere.`,
      );
    }
    for (let version = current + 1; version <= MIGRATIONS.length; version++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[version - 1]!);
        MIGRATION_STEPS[version]?.(this);
        this.db.pragma(`user_version = ${version}`);
      })();
    }
  }

  close(): void {
    this.db.close();
  }

  createSession(labId: string): number {
    return Number(this.db.prepare('INSERT INTO sessions (lab_id, started_at) VALUES (?, ?)').run(labId, now()).lastInsertRowid);
  }

  createRun(run: {
    sessionId: number;
    labId: string;
    stepId: string | null;
    scenarioId: string;
    params: ParamValues;
    startTs: bigint;
    labVersion: string;
    machine: MachineFacts;
  }): number {
    return this.db.transaction(() => {
      const runId = Number(
        this.db
          .prepare(
            `INSERT INTO runs (session_id, lab_id, step_id, scenario_id, params, status, start_ts, started_at, owner, lab_version, machine)
             VALUES (?, ?, ?, ?, ?, 'starting', ?, ?, ?, ?, ?)`,
          )
          .run(
            run.sessionId,
            run.labId,
            run.stepId,
            run.scenarioId,
            JSON.stringify(run.params),
            run.startTs.toString(),
            now(),
            processIdentity(process.pid) ?? null,
            run.labVersion,
            JSON.stringify(run.machine),
          ).lastInsertRowid,
      );
      // The answers saved so far are the ones this run tests: from now on an edit is a new version.
      if (run.stepId !== null) {
        const last = this.db
          .prepare('SELECT id, link FROM question_answers WHERE lab_id = ? AND step_id = ? ORDER BY id DESC LIMIT 1')
          .get(run.labId, run.stepId) as { id: number; link: string } | undefined;
        if (last) this.db.prepare('UPDATE runs SET answers_upto = ?, answers_head = ? WHERE id = ?').run(last.id, last.link, runId);
      }
      const header = this.headerRecord(runId)!;
      this.db.prepare('UPDATE runs SET chain_head = ? WHERE id = ?').run(nextLink(CHAIN_START, recordHash(header)), runId);
      return runId;
    })();
  }

  /** The first record of a run's chain, rebuilt from its row; undefined for a run stored before chains. */
  headerRecord(runId: number): RunHeaderRecord | undefined {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as RunRow | undefined;
    if (!row || row.lab_version === null || row.machine === null) return undefined;
    return {
      type: 'run.start',
      runId: row.id,
      labId: row.lab_id,
      stepId: row.step_id,
      scenarioId: row.scenario_id,
      params: JSON.parse(row.params) as ParamValues,
      startTs: row.start_ts,
      startedAt: row.started_at,
      labVersion: row.lab_version,
      machine: JSON.parse(row.machine) as MachineFacts,
      // Only where answers were given: the headers of runs without them hash as they always did.
      ...(row.answers_head !== null ? { answersHead: row.answers_head } : {}),
    };
  }

  /**
   * The last record of a run's chain, as it was hashed when the run ended; undefined for a run not ended
   * (or stored before chains). A report shows the run's end from this, not from the rows, which a late
   * update could have touched.
   */
  endRecord(runId: number): RunEndRecord | undefined {
    const row = this.db.prepare('SELECT end_record FROM runs WHERE id = ?').get(runId) as { end_record: string | null } | undefined;
    return row?.end_record ? (JSON.parse(row.end_record) as RunEndRecord) : undefined;
  }

  /** Appends one record to a run's chain. A run without a chain (stored before chains) stays without. */
  private extendChain(runId: number, recordHashes: string[]): void {
    const row = this.db.prepare('SELECT chain_head FROM runs WHERE id = ?').get(runId) as { chain_head: string | null } | undefined;
    if (!row || row.chain_head === null) return;
    this.db.prepare('UPDATE runs SET chain_head = ? WHERE id = ?').run(chainOver(recordHashes, row.chain_head), runId);
  }

  /** A run's chain head as stored, or null for a run stored before chains. */
  chainHead(runId: number): string | null {
    return (this.db.prepare('SELECT chain_head FROM runs WHERE id = ?').get(runId) as { chain_head: string | null } | undefined)?.chain_head ?? null;
  }

  updateRunStatus(runId: number, status: RunStatus, message: string | null): void {
    this.db.prepare('UPDATE runs SET status = ?, message = COALESCE(?, message) WHERE id = ?').run(status, message, runId);
  }

  finishRun(runId: number, status: RunStatus, message: string | null, checks: CheckResult[]): void {
    this.db.transaction(() => {
      this.db
        .prepare('UPDATE runs SET status = ?, message = COALESCE(?, message), checks = ?, ended_at = ? WHERE id = ?')
        .run(status, message, JSON.stringify(checks), now(), runId);
      this.closeChain(runId);
    })();
    this.trace.forget(runId);
  }

  /** The end record goes last: the run's status, processes and checks as they are now. */
  private closeChain(runId: number): void {
    const run = this.run(runId)!;
    if (this.chainHead(runId) === null) return;
    const end: RunEndRecord = {
      type: 'run.end',
      status: run.status,
      endedAt: run.endedAt ?? '',
      message: run.message,
      processes: run.processes,
      checks: run.checks,
    };
    this.db.prepare('UPDATE runs SET end_record = ? WHERE id = ?').run(JSON.stringify(end), runId);
    this.extendChain(runId, [recordHash(end)]);
  }

  /** Runs a previous host left in a live state (it crashed or was killed): mark them as ended. */
  closeAbandonedRuns(): number {
    const unfinished = this.db.prepare(`SELECT id, owner FROM runs WHERE status IN ('starting', 'running', 'stopping')`).all() as {
      id: number;
      owner: string | null;
    }[];
    const close = this.db.prepare(
      `UPDATE runs SET status = 'error', ended_at = ?, message = 'The app stopped while this run was going on; its processes were ended with it.' WHERE id = ?`,
    );
    // A run whose engine still lives (another window, the CLI beside the app) is that engine's to finish.
    const abandoned = unfinished.filter(({ owner }) => owner === null || processIdentity(Number(owner.split(':')[0])) !== owner);
    for (const { id } of abandoned)
      this.db.transaction(() => {
        close.run(now(), id);
        this.closeChain(id);
      })();
    return abandoned.length;
  }

  /** Forgets a run that never ran (its start failed): its row, processes and events. */
  deleteRun(runId: number): void {
    this.db.transaction(() => {
      for (const table of ['events', 'processes']) this.db.prepare(`DELETE FROM ${table} WHERE run_id = ?`).run(runId);
      this.trace.deleteRun(runId);
      this.db.prepare('DELETE FROM runs WHERE id = ?').run(runId);
    })();
  }

  upsertProcess(runId: number, p: ProcessInfo): void {
    this.db
      .prepare(
        `INSERT INTO processes (run_id, pid, ppid, role, program, state, exit_code, signal) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, pid) DO UPDATE SET ppid = excluded.ppid, role = excluded.role, program = excluded.program,
           state = excluded.state, exit_code = excluded.exit_code, signal = excluded.signal`,
      )
      .run(runId, p.pid, p.ppid, p.role, p.program, p.state, p.exitCode, p.signal);
  }

  insertEvents(runId: number, rows: EventRow[]): void {
    if (rows.length > 0) this.insertBatch(runId, rows);
  }

  /**
   * Every event of a run after `afterSeq`, in seq order: for the checks, reports and trace files, which
   * need the whole trace. What goes to a client goes a page at a time (eventPage).
   */
  events(runId: number, afterSeq = 0): StoredEvent[] {
    this.eventsAfterQuery ??= this.db.prepare('SELECT seq, data FROM events WHERE run_id = ? AND seq > ? ORDER BY seq');
    const rows = this.eventsAfterQuery.all(runId, afterSeq) as { seq: number; data: string }[];
    return rows.map((row) => ({ ...(JSON.parse(row.data) as object), runId, seq: row.seq }) as StoredEvent);
  }
  private eventsAfterQuery: Database.Statement | undefined;

  /**
   * One page of a run's events after `afterSeq`, in seq order: at most `limit`, and no more once their
   * stored text reaches `maxBytes` (at least one event, whatever its size). `nextSeq` is the afterSeq of
   * the next page, or null when this page ends at the last event stored so far. Reads one row past the
   * page to know whether there is more; stops reading at the cut (iterate, not all: a page of large
   * events is never read whole).
   */
  eventPage(runId: number, afterSeq: number, limit: number, maxBytes: number, kinds?: readonly string[]): { events: StoredEvent[]; nextSeq: number | null } {
    if (kinds) return this.eventPageOfKinds(runId, afterSeq, limit, maxBytes, kinds);
    this.eventPageQuery ??= this.db.prepare('SELECT seq, data FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?');
    const events: StoredEvent[] = [];
    let bytes = 0;
    let more = false;
    for (const row of this.eventPageQuery.iterate(runId, afterSeq, limit + 1) as IterableIterator<{ seq: number; data: string }>) {
      if (events.length === limit || (events.length > 0 && bytes >= maxBytes)) {
        more = true;
        break;
      }
      bytes += Buffer.byteLength(row.data);
      events.push({ ...(JSON.parse(row.data) as object), runId, seq: row.seq } as StoredEvent);
    }
    return { events, nextSeq: more ? events[events.length - 1]!.seq : null };
  }
  private eventPageQuery: Database.Statement | undefined;

  /**
   * eventPage of only some kinds. Kinds have no index: each call reads at most KIND_PAGE_SCAN_ROWS rows
   * of the run (in seq order, through its primary key), so a page of rare kinds (a large run's process
   * events and kernel snapshots) costs the engine tens of milliseconds per call, never the whole run at
   * once; `nextSeq` then says where the scan stopped, and a page may hold no event.
   */
  private eventPageOfKinds(
    runId: number,
    afterSeq: number,
    limit: number,
    maxBytes: number,
    kinds: readonly string[],
  ): { events: StoredEvent[]; nextSeq: number | null } {
    // The kinds are matched in SQL (json_each of the list): rows of other kinds never become JS values.
    this.eventKindsPageQuery ??= this.db.prepare(
      'SELECT seq, data FROM events WHERE run_id = ? AND seq > ? AND seq <= ? AND kind IN (SELECT value FROM json_each(?)) ORDER BY seq',
    );
    const scanTo = afterSeq + KIND_PAGE_SCAN_ROWS;
    const events: StoredEvent[] = [];
    let bytes = 0;
    for (const row of this.eventKindsPageQuery.iterate(runId, afterSeq, scanTo, JSON.stringify(kinds)) as IterableIterator<{ seq: number; data: string }>) {
      if (events.length === limit || (events.length > 0 && bytes >= maxBytes)) return { events, nextSeq: events[events.length - 1]!.seq };
      bytes += Buffer.byteLength(row.data);
      events.push({ ...(JSON.parse(row.data) as object), runId, seq: row.seq } as StoredEvent);
    }
    return { events, nextSeq: scanTo < this.lastSeq(runId) ? scanTo : null };
  }
  private eventKindsPageQuery: Database.Statement | undefined;

  /** Migration 5: the trace summaries of every run stored before them, batch by batch in seq order. */
  summariseStoredRuns(): void {
    const page = this.db.prepare('SELECT seq, ts, pid, kind, data FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT 10000').safeIntegers(true);
    for (const { id } of this.db.prepare('SELECT id FROM runs ORDER BY id').all() as { id: number }[]) {
      for (let afterSeq = 0; ;) {
        const rows = (page.all(id, afterSeq) as { seq: bigint; ts: bigint; pid: bigint; kind: string; data: string }[]).map((r) => ({
          seq: Number(r.seq),
          ts: r.ts.toString(),
          pid: Number(r.pid),
          kind: r.kind,
          data: r.data,
        }));
        if (rows.length === 0) break;
        this.trace.add(id, rows);
        afterSeq = rows[rows.length - 1]!.seq;
      }
      this.trace.forget(id);
    }
  }

  /** trace.window (trace-window.ts): what the timeline draws of [fromNs, toNs) at `width` pixels. */
  traceWindow(runId: number, fromNs: number, toNs: number, width: number): TraceWindow {
    return this.trace.window(runId, this.runStartTs(runId), fromNs, toNs, width);
  }

  /** The run's start_ts, or a UserError naming the run. */
  private runStartTs(runId: number): string {
    this.runStartQuery ??= this.db.prepare('SELECT start_ts FROM runs WHERE id = ?');
    const row = this.runStartQuery.get(runId) as { start_ts: string } | undefined;
    if (!row) throw new UserError('unknown-run', `There is no run ${runId}.`, 'Choose a run from the lab page, or from `ipc-lab runs`.');
    return row.start_ts;
  }
  private runStartQuery: Database.Statement | undefined;

  /**
   * trace.events: one page of a run's events in (ts, seq) order among those `filter` keeps, with the
   * position of the first among them and how many there are. Ends early once the events' text reaches
   * RUN_EVENTS_PAGE_BYTES (a page has at least one event). The filter's SQL differs only by which
   * filters are given, so each shape is prepared once (statementFor).
   */
  traceEvents(request: Omit<CheckedRequest<'trace.events'>, 'runId'> & { runId: number }, maxBytes: number): CommandResponses['trace.events'] {
    const { runId, from, direction, limit, filter } = request;
    const start = BigInt(this.runStartTs(runId));
    const where = filterSql(filter);
    const params = filterParams(runId, filter);
    const total = this.filteredTotal(runId, filter, where, params);
    const countBefore = (ts: bigint, seq: number) =>
      (this.statementFor(`SELECT COUNT(*) AS n FROM events WHERE ${where} AND (ts, seq) < (@ts, @seq)`).get({ ...params, ts, seq }) as { n: number }).n;
    const take = (rows: Iterable<{ seq: number; ts: bigint; data: string }>) => {
      const page: { seq: number; ts: bigint; data: string }[] = [];
      let bytes = 0;
      for (const row of rows) {
        if (page.length === limit || (page.length > 0 && bytes >= maxBytes)) break;
        bytes += Buffer.byteLength(row.data);
        page.push(row);
      }
      return page;
    };
    const columns = 'SELECT seq, ts, data FROM events';
    let rows: { seq: number; ts: bigint; data: string }[];
    let index: number;
    if ('index' in from) {
      const first = direction === 'forward' ? Math.min(from.index, total) : Math.max(0, Math.min(from.index, total) - limit);
      const count = direction === 'forward' ? limit : Math.min(from.index, total) - first;
      rows =
        count === 0
          ? []
          : take(this.iterate(`${columns} WHERE ${where} ORDER BY ts, seq LIMIT @limit OFFSET @offset`, { ...params, limit: count, offset: first }));
      // Going backward, a page cut short by its bytes keeps the events nearest the position.
      if (direction === 'backward' && rows.length < count) {
        rows = take(
          this.iterate(`${columns} WHERE ${where} ORDER BY ts DESC, seq DESC LIMIT @limit OFFSET @offset`, {
            ...params,
            limit: count,
            offset: total - first - count,
          }),
        ).reverse();
        return { events: rows.map((r) => storedEvent(runId, r)), index: first + count - rows.length, total };
      }
      index = first;
    } else {
      let anchor: { ts: bigint; seq: number };
      if ('seq' in from) {
        this.eventTsQuery ??= this.db.prepare('SELECT ts FROM events WHERE run_id = ? AND seq = ?').safeIntegers(true);
        const row = this.eventTsQuery.get(runId, from.seq) as { ts: bigint } | undefined;
        if (!row)
          throw new UserError(
            'bad-request',
            `Run ${runId} has no event with seq ${from.seq}.`,
            'Give the seq of an event of that run (from trace.events or runs.get).',
          );
        anchor = { ts: row.ts, seq: from.seq };
      } else anchor = { ts: start + BigInt(from.ts), seq: 0 };
      if (direction === 'forward') {
        rows = take(this.iterate(`${columns} WHERE ${where} AND (ts, seq) >= (@ts, @seq) ORDER BY ts, seq`, { ...params, ...anchor }));
        index = countBefore(anchor.ts, anchor.seq);
      } else {
        rows = take(this.iterate(`${columns} WHERE ${where} AND (ts, seq) < (@ts, @seq) ORDER BY ts DESC, seq DESC`, { ...params, ...anchor })).reverse();
        index = rows.length > 0 ? countBefore(rows[0]!.ts, rows[0]!.seq) : 0;
      }
    }
    return { events: rows.map((r) => storedEvent(runId, r)), index, total };
  }
  private eventTsQuery: Database.Statement | undefined;

  /**
   * How many events a filter keeps: counting is a scan of the run (seconds for a million events with a
   * text filter), and a virtual list asks for the same filter page after page, so the count is kept
   * until the run stores another event (its last seq, read from the primary key, changes).
   */
  private filteredTotal(runId: number, filter: TraceFilter, where: string, params: Record<string, unknown>): number {
    this.lastSeqQuery ??= this.db.prepare('SELECT MAX(seq) AS seq FROM events WHERE run_id = ?');
    const lastSeq = (this.lastSeqQuery.get(runId) as { seq: number | null }).seq ?? 0;
    const key = `${runId}\u0000${JSON.stringify(filter)}`;
    const known = this.filteredTotals.get(key);
    if (known && known.lastSeq === lastSeq) return known.total;
    const total = (this.statementFor(`SELECT COUNT(*) AS n FROM events WHERE ${where}`).get(params) as { n: number }).n;
    this.filteredTotals.delete(key);
    this.filteredTotals.set(key, { lastSeq, total });
    if (this.filteredTotals.size > FILTERED_TOTALS_KEPT) this.filteredTotals.delete(this.filteredTotals.keys().next().value!);
    return total;
  }
  private lastSeqQuery: Database.Statement | undefined;
  private readonly filteredTotals = new Map<string, { lastSeq: number; total: number }>();

  /** trace.find: the next event after, or the last before, a moment (and an event at it), of a kind and a process if given. */
  traceFind(request: CheckedRequest<'trace.find'>): CommandResponses['trace.find'] {
    const { runId, ts, seq, kind, pid, direction } = request;
    const start = BigInt(this.runStartTs(runId));
    const at = start + BigInt(ts);
    // Without seq the moment itself is stepped past: every event at ts is before "next" and after "previous".
    const anchorSeq = seq ?? (direction === 'next' ? Number.MAX_SAFE_INTEGER : 0);
    const conditions = ['run_id = @run', ...(kind !== undefined ? ['kind = @kind'] : []), ...(pid !== undefined ? ['pid = @pid'] : [])];
    const sql =
      direction === 'next'
        ? `SELECT seq, ts - @start AS t, data FROM events WHERE ${conditions.join(' AND ')} AND (ts, seq) > (@at, @seq) ORDER BY ts, seq LIMIT 1`
        : `SELECT seq, ts - @start AS t, data FROM events WHERE ${conditions.join(' AND ')} AND (ts, seq) < (@at, @seq) ORDER BY ts DESC, seq DESC LIMIT 1`;
    const row = this.statementFor(sql).get({
      run: runId,
      start,
      at,
      seq: anchorSeq,
      ...(kind !== undefined ? { kind } : {}),
      ...(pid !== undefined ? { pid } : {}),
    }) as { seq: number; t: number; data: string } | undefined;
    return row ? { event: storedEvent(runId, row), t: row.t } : { event: null, t: null };
  }

  /** trace.follow: a message's (or TCP connection's) other end. */
  traceFollow(runId: number, seq: number): CommandResponses['trace.follow'] {
    this.runStartTs(runId);
    this.eventBySeqQuery ??= this.db.prepare('SELECT seq, ts, kind, data FROM events WHERE run_id = ? AND seq = ?').safeIntegers(true);
    const row = this.eventBySeqQuery.get(runId, seq) as { seq: bigint; ts: bigint; kind: string; data: string } | undefined;
    if (!row)
      throw new UserError('bad-request', `Run ${runId} has no event with seq ${seq}.`, 'Give the seq of an event of that run (from trace.events or runs.get).');
    const event = storedEvent(runId, { seq, data: row.data });
    if (!FOLLOWABLE_KINDS.has(row.kind))
      throw new UserError(
        'bad-request',
        `Event ${seq} of run ${runId} is a ${row.kind}: only a message or a TCP connection has another end to follow.`,
        `Give the seq of a ${[...FOLLOWABLE_KINDS].join(', ')} event.`,
      );
    const partnerSeq = this.trace.partnerSeq(runId, { seq, kind: row.kind, ts: row.ts });
    if (partnerSeq === null) return { event, partner: null };
    this.eventTextQuery ??= this.db.prepare('SELECT seq, data FROM events WHERE run_id = ? AND seq = ?');
    const partner = this.eventTextQuery.get(runId, partnerSeq) as { seq: number; data: string };
    return { event, partner: storedEvent(runId, partner) };
  }
  private eventBySeqQuery: Database.Statement | undefined;
  private eventTextQuery: Database.Statement | undefined;

  /** A statement whose SQL is one of a few shapes (filters given or not): prepared the first time, then kept. */
  private statementFor(sql: string): Database.Statement {
    let statement = this.shapedStatements.get(sql);
    if (!statement) this.shapedStatements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }
  private readonly shapedStatements = new Map<string, Database.Statement>();

  /** Rows with ts as a bigint (absolute monotonic ns need not fit a double's exact range). */
  private iterate(sql: string, params: Record<string, unknown>): IterableIterator<{ seq: number; ts: bigint; data: string }> {
    const statement = this.statementFor(`${sql} -- ts as bigint`);
    const rows = statement.safeIntegers(true).iterate(params) as IterableIterator<{ seq: bigint; ts: bigint; data: string }>;
    return (function* () {
      for (const row of rows) yield { seq: Number(row.seq), ts: row.ts, data: row.data };
    })();
  }

  /** A run's events as stored: sequence number and JSON text (what the chain hashed). */
  eventTexts(runId: number): { seq: number; data: string }[] {
    return this.db.prepare('SELECT seq, data FROM events WHERE run_id = ? ORDER BY seq').all(runId) as { seq: number; data: string }[];
  }

  /** The last seq stored of a run, 0 before any: its number of stored events (seqs run 1, 2, … with no gap), through the key. */
  lastSeq(runId: number): number {
    this.lastSeqQuery ??= this.db.prepare('SELECT MAX(seq) AS seq FROM events WHERE run_id = ?');
    return (this.lastSeqQuery.get(runId) as { seq: number | null }).seq ?? 0;
  }

  eventCount(runId: number): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM events WHERE run_id = ?').get(runId) as { n: number }).n;
  }

  run(runId: number): RunSummary | undefined {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as RunRow | undefined;
    if (!row) return undefined;
    const processes = (this.db.prepare('SELECT * FROM processes WHERE run_id = ? ORDER BY pid').all(runId) as ProcessRow[]).map((p): ProcessInfo => ({
      pid: p.pid,
      ppid: p.ppid,
      role: p.role,
      program: p.program,
      state: p.state,
      exitCode: p.exit_code,
      signal: p.signal,
    }));
    return {
      runId: row.id,
      labVersion: row.lab_version,
      sessionId: row.session_id,
      labId: row.lab_id,
      stepId: row.step_id,
      scenarioId: row.scenario_id,
      params: JSON.parse(row.params) as ParamValues,
      status: row.status,
      startTs: row.start_ts,
      startedAt: row.started_at,
      endedAt: row.ended_at,
      message: row.message,
      processes,
      // Rows stored before checks named their moment have none.
      checks: (JSON.parse(row.checks) as CheckResult[]).map((c) => ({ ...c, moment: c.moment ?? null })),
    };
  }

  /** Records a step's outcome. A step once passed stays passed; a failed run marks it attempted. */
  recordStepOutcome(labId: string, stepId: string, passed: boolean, runId: number): void {
    const status: StepStatus = passed ? 'passed' : 'attempted';
    this.db
      .prepare(
        `INSERT INTO step_progress (lab_id, step_id, status, last_run_id, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (lab_id, step_id) DO UPDATE SET
           status = CASE WHEN step_progress.status = 'passed' THEN 'passed' ELSE excluded.status END,
           last_run_id = excluded.last_run_id, updated_at = excluded.updated_at`,
      )
      .run(labId, stepId, status, runId, now());
  }

  /** Saves an answer and, when its text changed, keeps the new version as a revision (never overwritten). */
  saveAnswer(labId: string, stepId: string, text: string): void {
    this.db.transaction(() => {
      const savedAt = now();
      this.db
        .prepare(
          `INSERT INTO answers (lab_id, step_id, text, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (lab_id, step_id) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at`,
        )
        .run(labId, stepId, text, savedAt);
      this.addRevision(labId, stepId, text, savedAt);
    })();
  }

  private addRevision(labId: string, stepId: string, text: string, savedAt: string): void {
    const last = this.db.prepare('SELECT text, link FROM answer_revisions WHERE lab_id = ? AND step_id = ? ORDER BY id DESC LIMIT 1').get(labId, stepId) as
      { text: string; link: string } | undefined;
    if (last?.text === text) return;
    const link = nextLink(last?.link ?? CHAIN_START, recordHash(answerRecord(labId, stepId, { text, savedAt })));
    this.db.prepare('INSERT INTO answer_revisions (lab_id, step_id, text, saved_at, link) VALUES (?, ?, ?, ?, ?)').run(labId, stepId, text, savedAt, link);
  }

  /** Migration 3: answers saved before revisions become their step's first revision. */
  seedAnswerRevisions(): void {
    const rows = this.db.prepare('SELECT lab_id, step_id, text, updated_at FROM answers ORDER BY updated_at').all() as {
      lab_id: string;
      step_id: string;
      text: string;
      updated_at: string;
    }[];
    for (const row of rows) this.addRevision(row.lab_id, row.step_id, row.text, row.updated_at);
  }

  /** Every saved version of a step's answer, oldest first, with the chain head over them. */
  answerRevisions(labId: string, stepId: string): { revisions: AnswerRevision[]; chainHead: string } {
    const rows = this.db.prepare('SELECT text, saved_at, link FROM answer_revisions WHERE lab_id = ? AND step_id = ? ORDER BY id').all(labId, stepId) as {
      text: string;
      saved_at: string;
      link: string;
    }[];
    return { revisions: rows.map((r) => ({ text: r.text, savedAt: r.saved_at })), chainHead: rows.at(-1)?.link ?? CHAIN_START };
  }

  /**
   * Saves a version of the student's answer to one question of a step. Versions are never changed: the
   * one a run tested stays as it was, and this becomes the answer the next run tests.
   */
  saveQuestionAnswer(labId: string, stepId: string, questionId: string, value: AnswerValue): SavedAnswer {
    return this.db.transaction(() => {
      const savedAt = now();
      const last = this.db.prepare('SELECT link FROM question_answers WHERE lab_id = ? AND step_id = ? ORDER BY id DESC LIMIT 1').get(labId, stepId) as
        { link: string } | undefined;
      const link = nextLink(last?.link ?? CHAIN_START, recordHash(questionAnswerRecord(labId, stepId, { questionId, value, savedAt })));
      this.db
        .prepare('INSERT INTO question_answers (lab_id, step_id, question_id, value, saved_at, link) VALUES (?, ?, ?, ?, ?, ?)')
        .run(labId, stepId, questionId, JSON.stringify(value), savedAt, link);
      return { questionId, value, savedAt, lockedByRun: null };
    })();
  }

  /**
   * Every saved version of the answers to a step's questions, oldest first, each with the run that
   * locked it (the first run of the step that started after it was saved), and the chain head over them.
   */
  questionAnswers(labId: string, stepId: string): { versions: SavedAnswer[]; chainHead: string } {
    const rows = this.db
      .prepare('SELECT id, question_id, value, saved_at, link FROM question_answers WHERE lab_id = ? AND step_id = ? ORDER BY id')
      .all(labId, stepId) as { id: number; question_id: string; value: string; saved_at: string; link: string }[];
    const runs = this.db
      .prepare('SELECT id, answers_upto FROM runs WHERE lab_id = ? AND step_id = ? AND answers_upto IS NOT NULL ORDER BY id')
      .all(labId, stepId) as { id: number; answers_upto: number }[];
    const versions = rows.map((r) => ({
      questionId: r.question_id,
      value: JSON.parse(r.value) as AnswerValue,
      savedAt: r.saved_at,
      lockedByRun: runs.find((run) => run.answers_upto >= r.id)?.id ?? null,
    }));
    return { versions, chainHead: rows.at(-1)?.link ?? CHAIN_START };
  }

  /** The answers a run tested: each question's last version saved before the run started. */
  answersOfRun(runId: number): Map<string, AnswerValue> {
    const run = this.db.prepare('SELECT lab_id, step_id, answers_upto FROM runs WHERE id = ?').get(runId) as
      { lab_id: string; step_id: string | null; answers_upto: number | null } | undefined;
    const answers = new Map<string, AnswerValue>();
    if (!run || run.step_id === null || run.answers_upto === null) return answers;
    const rows = this.db
      .prepare('SELECT question_id, value FROM question_answers WHERE lab_id = ? AND step_id = ? AND id <= ? ORDER BY id')
      .all(run.lab_id, run.step_id, run.answers_upto) as { question_id: string; value: string }[];
    for (const row of rows) answers.set(row.question_id, JSON.parse(row.value) as AnswerValue);
    return answers;
  }

  /** Runs, newest first: of a lab, of one of its steps, or all. */
  runs(filter: { labId?: string; stepId?: string; limit?: number } = {}): RunSummary[] {
    const ids = this.db
      .prepare(`SELECT id FROM runs WHERE (@labId IS NULL OR lab_id = @labId) AND (@stepId IS NULL OR step_id = @stepId) ORDER BY id DESC LIMIT @limit`)
      .all({ labId: filter.labId ?? null, stepId: filter.stepId ?? null, limit: filter.limit ?? -1 }) as { id: number }[];
    return ids.map(({ id }) => this.run(id)!);
  }

  setting(key: string): string | null {
    return (this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined)?.value ?? null;
  }

  /**
   * The setting's value; when it has none, `value` is stored first and returned. A value once stored is
   * never replaced here: of two engines racing on one data folder, both get the one stored first.
   */
  settingOnce(key: string, value: string): string {
    // Read first: a setting once stored needs no write, so a read-only store (a full disk) has it too.
    const stored = this.setting(key) ?? this.unsavedSettings.get(key) ?? null;
    if (stored !== null) return stored;
    if (this.readOnly) {
      // Kept for this engine's life: stable while the disk is full, stored by the first start with room.
      this.unsavedSettings.set(key, value);
      return value;
    }
    this.writing(() => this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING').run(key, value));
    return this.setting(key)!;
  }

  setSetting(key: string, value: string): void {
    this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** Each step's recorded outcome and free-text answer (the engine adds what it computes: main/engine/mastery.ts). */
  progress(labId: string): Record<string, StoredProgress> {
    const result: Record<string, StoredProgress> = {};
    const entry = (stepId: string) => (result[stepId] ??= { status: 'not-started', answer: '', lastRunId: null });
    for (const row of this.db.prepare('SELECT step_id, status, last_run_id FROM step_progress WHERE lab_id = ?').all(labId) as {
      step_id: string;
      status: StepStatus;
      last_run_id: number | null;
    }[]) {
      Object.assign(entry(row.step_id), { status: row.status, lastRunId: row.last_run_id });
    }
    for (const row of this.db.prepare('SELECT step_id, text FROM answers WHERE lab_id = ?').all(labId) as { step_id: string; text: string }[]) {
      entry(row.step_id).answer = row.text;
    }
    return result;
  }

  lastRunOf(labId: string): number | null {
    const row = this.db.prepare('SELECT id FROM runs WHERE lab_id = ? ORDER BY id DESC LIMIT 1').get(labId) as { id: number } | undefined;
    return row?.id ?? null;
  }

  sessions(): SessionSummary[] {
    return (
      this.db
        .prepare(
          `SELECT s.id, s.lab_id, s.started_at, COUNT(r.id) AS run_count,
             (SELECT COUNT(*) FROM step_progress p WHERE p.lab_id = s.lab_id AND p.status = 'passed') AS passed
           FROM sessions s LEFT JOIN runs r ON r.session_id = s.id GROUP BY s.id ORDER BY s.id DESC`,
        )
        .all() as { id: number; lab_id: string; started_at: string; run_count: number; passed: number }[]
    ).map((s) => ({ sessionId: s.id, labId: s.lab_id, startedAt: s.started_at, runCount: s.run_count, passedSteps: s.passed }));
  }
}

type TraceFilter = CheckedRequest<'trace.events'>['filter'];

/** How many filters' totals trace.events keeps (the most recently used). */
const FILTERED_TOTALS_KEPT = 32;

/**
 * The WHERE clause a trace.events filter gives (its values bound by filterParams). pids and kinds are
 * bound as JSON arrays (json_each), so a list of any length is one statement; text is a LIKE pattern,
 * which SQLite compares case-insensitively for ASCII letters only.
 */
function filterSql(filter: TraceFilter): string {
  const conditions = ['run_id = @run'];
  if (filter.pids) conditions.push('pid IN (SELECT value FROM json_each(@pids))');
  if (filter.kinds) conditions.push('kind IN (SELECT value FROM json_each(@kinds))');
  if (filter.channel !== undefined) conditions.push("json_extract(data, '$.channel') = @channel");
  if (filter.text !== undefined) conditions.push("data LIKE @text ESCAPE '\\'");
  return conditions.join(' AND ');
}

function filterParams(runId: number, filter: TraceFilter): Record<string, unknown> {
  return {
    run: runId,
    ...(filter.pids ? { pids: JSON.stringify(filter.pids) } : {}),
    ...(filter.kinds ? { kinds: JSON.stringify(filter.kinds) } : {}),
    ...(filter.channel !== undefined ? { channel: filter.channel } : {}),
    // The text as a substring of the stored JSON: %, _ and the escape itself taken literally.
    ...(filter.text !== undefined ? { text: `%${filter.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%` } : {}),
  };
}

function releaseReserve(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Released already.
  }
}

// Every write goes through writing(): one list (WRITES) rather than a wrapper in each method's body.
for (const name of WRITES) {
  const write = EventStore.prototype[name] as (this: EventStore, ...args: unknown[]) => unknown;
  Object.defineProperty(EventStore.prototype, name, {
    value: function (this: EventStore, ...args: unknown[]) {
      return (this as unknown as { writing<T>(write: () => T): T }).writing(() => write.apply(this, args));
    },
    writable: true,
    configurable: true,
  });
}

function now(): string {
  return new Date().toISOString();
}
