/**
 * Stores a fixture trace (fixture-trace.ts) as a finished run of an existing lab step, so that the lab
 * page opens it like any past run (#/lab/<lab>/<step>/run/<id>). Straight into the EventStore, in
 * batches (insertEvents: one transaction each), then finishRun: no lab process runs and no check is
 * recorded (the run ends `completed`).
 */
import { machineFacts } from '../../../main/engine/machine-facts.js';
import type { EventStore } from '../../../main/engine/event-store.js';
import type { LoadedLab } from '../../../main/engine/lab-loader.js';
import { fixtureProcesses, fixtureRows } from './fixture-trace.js';

/** Rows per insertEvents call: FIELD-NOTES measured 1k-10k rows per transaction as the fast range. */
const BATCH_ROWS = 10_000;

export interface FixtureRun {
  runId: number;
  events: number;
  /** How long generating and storing took, ms. */
  storeMs: number;
}

export function storeFixtureRun(store: EventStore, lab: LoadedLab, stepId: string, events: number, children: number): FixtureRun {
  const step = lab.steps.find((s) => s.id === stepId);
  if (!step) throw new Error(`fixture: lab ${lab.id} has no step ${stepId} (its steps: ${lab.steps.map((s) => s.id).join(', ')})`);
  const started = process.hrtime.bigint();
  const startTs = process.hrtime.bigint();
  const runId = store.createRun({
    sessionId: store.createSession(lab.id),
    labId: lab.id,
    stepId: step.id,
    scenarioId: step.scenario,
    params: step.params,
    startTs,
    labVersion: lab.version,
    machine: machineFacts(),
  });
  for (const p of fixtureProcesses(children)) store.upsertProcess(runId, p);
  for (const rows of fixtureRows({ events, children, startTs }, BATCH_ROWS)) store.insertEvents(runId, rows);
  store.finishRun(runId, 'completed', null, []);
  return { runId, events: store.eventCount(runId), storeMs: Number(process.hrtime.bigint() - started) / 1e6 };
}
