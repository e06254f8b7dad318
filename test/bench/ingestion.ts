/**
 * Trace ingestion: two lab processes each emit `eventsPerProcess` measure events as fast as they can;
 * how many events per second does the engine validate and store in SQLite, with none lost?
 *
 * Each repeat opens a fresh engine on a fresh temporary data folder (so every run starts from an empty
 * database of the same size) and removes it afterwards.
 *
 * The rate is measured from the first flood event's emit (its own `ts`, CLOCK_MONOTONIC in the lab
 * process) to the moment the engine pushed the trace:batch holding the last one (the engine pushes a
 * batch only after its SQLite transaction committed, so that is when the last event was stored).
 * Process start-up is therefore not counted; the run's whole wall time is reported next to it.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_EVENT_BUDGET, type StoredEvent } from '../../main/contract/trace-events.js';
import { openEngine } from '../../main/engine/engine.js';

export interface IngestionResult {
  runId: number;
  status: string;
  expected: number;
  /** Flood events in SQLite (each process's values 1..N, distinct). */
  storedDistinct: number;
  storedRows: number;
  /** Flood events the engine pushed in trace:batch events. */
  pushed: number;
  lost: number;
  duplicated: number;
  /** Flood events stored out of their process's emit order. */
  outOfOrder: number;
  /** All events of the run, by kind. */
  byKind: Record<string, number>;
  eventCount: number;
  firstEmitToLastStoredNs: bigint;
  runStartToDoneNs: bigint;
  eventsPerSecond: number;
  batches: number;
  largestBatch: number;
  /** CPU time of the engine's process (this process) during the run, over the run's wall time. */
  engineCpuShare: number;
}

export async function runIngestion(labsDir: string, eventsPerProcess: number): Promise<IngestionResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ipc-lab-bench-'));
  try {
    // The bench measures how fast the store takes events, at the flood size it is given (2 x 300,000 by
    // default, more than a run's budget of RUN_EVENT_BUDGET): the budget is raised to fit the flood, so
    // that every event is stored and "none lost" stays a check of ingestion, not of the budget.
    const engine = await openEngine({ dataDir, labsDir, eventBudget: Math.max(RUN_EVENT_BUDGET, 2 * eventsPerProcess + 10_000) });
    try {
      const expected = 2 * eventsPerProcess;
      let pushed = 0;
      let batches = 0;
      let largestBatch = 0;
      let lastStoredAt: bigint | undefined;
      const unsubscribe = engine.onEvent(
        ({ event, payload }) => {
          if (event !== 'trace:batch') return;
          const events = (payload as { events: StoredEvent[] }).events;
          batches++;
          largestBatch = Math.max(largestBatch, events.length);
          // Kept cheap on purpose: this listener runs on the engine's own event loop.
          for (const e of events) if (e.kind === 'measure') pushed++;
          if (pushed >= expected && lastStoredAt === undefined) lastStoredAt = process.hrtime.bigint();
        },
        { everyEvent: true },
      ); // every stored event, as handed on: a page's host gets them bounded (live-batch.ts)

      const cpuBefore = process.cpuUsage();
      const startedAt = process.hrtime.bigint();
      const { run } = await engine.call('runs.start', { labId: 'trace-flood', scenarioId: 'flood', stepId: 'flood', params: { events: eventsPerProcess } });
      const labRun = engine.currentRun;
      if (!labRun || labRun.runId !== run.runId) throw new Error(`run ${run.runId} ended before the benchmark could wait for it`);
      const summary = await labRun.done;
      const doneAt = process.hrtime.bigint();
      const cpu = process.cpuUsage(cpuBefore);
      unsubscribe();

      const verified = verifyStored(engine.store.file, run.runId);
      const lastAt = lastStoredAt ?? doneAt;
      const firstEmitToLastStoredNs = verified.firstTs === undefined ? 0n : lastAt - verified.firstTs;
      return {
        runId: run.runId,
        status: summary.status,
        expected,
        storedDistinct: verified.distinct,
        storedRows: verified.rows,
        pushed,
        lost: expected - verified.distinct,
        duplicated: verified.rows - verified.distinct,
        outOfOrder: verified.outOfOrder,
        byKind: verified.byKind,
        eventCount: engine.store.eventCount(run.runId),
        firstEmitToLastStoredNs,
        runStartToDoneNs: doneAt - startedAt,
        eventsPerSecond: verified.distinct / (Number(firstEmitToLastStoredNs) / 1e9),
        batches,
        largestBatch,
        engineCpuShare: (cpu.user + cpu.system) / 1000 / (Number(doneAt - startedAt) / 1e6),
      };
    } finally {
      await engine.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface Verified {
  rows: number;
  distinct: number;
  outOfOrder: number;
  firstTs: bigint | undefined;
  byKind: Record<string, number>;
}

/**
 * Counts in SQL, on a separate read-only connection (WAL lets it read while the engine's stays open):
 * rows and distinct (pid, value) pairs of flood events, the ones that do not follow their predecessor
 * from the same process (value = previous + 1, in seq order), and every kind of the run.
 */
function verifyStored(file: string, runId: number): Verified {
  const db = new Database(file, { readonly: true });
  try {
    const flood = `SELECT seq, pid, ts, json_extract(data, '$.value') AS value FROM events
                   WHERE run_id = ? AND kind = 'measure' AND json_extract(data, '$.name') = 'flood'`;
    const counts = db.prepare(`SELECT COUNT(*) AS rows, COUNT(DISTINCT pid || ':' || value) AS distinct_values, MIN(ts) AS first_ts FROM (${flood})`);
    counts.safeIntegers(true);
    const c = counts.get(runId) as { rows: bigint; distinct_values: bigint; first_ts: bigint | null };
    const order = db.prepare(
      `SELECT COUNT(*) AS n FROM (SELECT value, LAG(value) OVER (PARTITION BY pid ORDER BY seq) AS previous FROM (${flood}))
       WHERE (previous IS NULL AND value != 1) OR (previous IS NOT NULL AND value != previous + 1)`,
    );
    const outOfOrder = (order.get(runId) as { n: number }).n;
    const byKind: Record<string, number> = {};
    for (const row of db.prepare('SELECT kind, COUNT(*) AS n FROM events WHERE run_id = ? GROUP BY kind ORDER BY kind').all(runId) as {
      kind: string;
      n: number;
    }[])
      byKind[row.kind] = row.n;
    return { rows: Number(c.rows), distinct: Number(c.distinct_values), outOfOrder, firstTs: c.first_ts ?? undefined, byKind };
  } finally {
    db.close();
  }
}
