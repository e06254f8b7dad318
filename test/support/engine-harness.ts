/**
 * A real engine over a temporary SQLite file, for integration tests, and the checks every test ends
 * with: no process of the run alive, no run directory left.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandRequest } from '../../main/contract/commands.js';
import type { RunSummary } from '../../main/contract/lab-model.js';
import type { StoredEvent } from '../../main/contract/trace-events.js';
import type { TraceData } from '../../main/engine/check-kit.js';
import { openEngine, type Engine } from '../../main/engine/engine.js';
import { findProjectRoot } from '../../main/project-root.js';

export const FIXTURE_LABS = join(findProjectRoot(), 'test', 'fixtures', 'labs');

export interface Harness {
  engine: Engine;
  dataDir: string;
  close(): Promise<void>;
}

export async function openHarness(labsDir?: string): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ipc-lab-test-data-'));
  const engine = await openEngine(labsDir ? { dataDir, labsDir } : { dataDir });
  return {
    engine,
    dataDir,
    async close() {
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface FinishedRun {
  run: RunSummary;
  /** The events as pushed live, in order. */
  live: StoredEvent[];
  /** The events as stored. */
  stored: StoredEvent[];
}

/** Starts a run, lets `during` act on it while it goes, and returns it once it is over. */
export async function runToEnd(
  engine: Engine,
  request: CommandRequest<'runs.start'>,
  during?: (runId: number, live: StoredEvent[]) => Promise<void> | void,
): Promise<FinishedRun> {
  const live: StoredEvent[] = [];
  const unsubscribe = engine.onEvent(
    ({ event, payload }) => {
      if (event === 'trace:batch') live.push(...(payload as { events: StoredEvent[] }).events);
    },
    { everyEvent: true },
  );
  try {
    const { run } = await engine.call('runs.start', request);
    const done = engine.currentRun!.done;
    if (during) await during(run.runId, live);
    const final = await done;
    return { run: final, live, stored: engine.store.events(final.runId) };
  } finally {
    unsubscribe();
  }
}

/** Each check's outcome by id: { 'one-way-delivery': true, ... }. */
export function checksOf(run: Pick<RunSummary, 'checks'>): Record<string, boolean> {
  return Object.fromEntries(run.checks.map((c) => [c.id, c.passed]));
}

/** A finished run as plain data, to run a check again on an altered trace: `check(memoryTrace({ ...traceOf(run), events }))`. */
export function traceOf({ run, stored }: Pick<FinishedRun, 'run' | 'stored'>): TraceData {
  return { params: run.params, processes: run.processes, events: stored };
}

/** Resolves when an event matching `predicate` has been pushed (polls the live list; no fixed sleep). */
export async function waitForEvent(engine: Engine, predicate: (e: StoredEvent) => boolean, timeoutMs = 10_000): Promise<StoredEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no matching event within ${timeoutMs} ms`));
    }, timeoutMs);
    const unsubscribe = engine.onEvent(
      ({ event, payload }) => {
        if (event !== 'trace:batch') return;
        const found = (payload as { events: StoredEvent[] }).events.find(predicate);
        if (found) {
          clearTimeout(timer);
          unsubscribe();
          resolve(found);
        }
      },
      { everyEvent: true },
    );
  });
}

/** Whether a process still runs. A zombie (exited, waiting for init to reap it) does not. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Every process the run had is gone, and no run directory (trace socket, FIFOs) is left. */
export function assertNothingLeft(run: RunSummary): void {
  assert.ok(run.processes.length > 0, 'the run should have had processes');
  for (const p of run.processes) assert.equal(isAlive(p.pid), false, `${p.role} (pid ${p.pid}) is still running`);
  assert.deepEqual(runDirsOwnedBy(process.pid), [], 'run directories left behind');
}

/** Run directories (in the temp folder) that the engine in process `pid` made. */
export function runDirsOwnedBy(pid: number): string[] {
  return readdirSync(tmpdir())
    .filter((name) => name.startsWith('ipc-lab-run-'))
    .filter((name) => {
      try {
        return Number(readFileSync(join(tmpdir(), name, 'owner.pid'), 'utf8')) === pid;
      } catch {
        return false;
      }
    });
}

export function kinds(events: StoredEvent[]): string[] {
  return events.map((e) => e.kind);
}
