/**
 * The worker thread a lab's checks run in (started by check-runner.ts), so that a check that never
 * returns or allocates without bound stops the worker, not the host. It imports the lab's compiled
 * checks.js, opens its trace (the run's database, read-only, or events sent with the job), says
 * `ready`, then answers one message at a time: `check` (one check's result) or `evidence` (the events a
 * report must embed, main/report/check-evidence.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import type { CheckResult, ParamValues, ProcessInfo } from '../contract/lab-model.js';
import type { StoredEvent } from '../contract/trace-events.js';
import { memoryTrace, type LabChecks, type RunTrace } from './check-kit.js';
import { StoredTrace } from './check-trace-store.js';
import { runChecks, type NamedCheck } from './run-checks.js';
import { checkEvidence } from '../report/check-evidence.js';

/** Where the checks read the run: its database, or events the host holds (a report being verified). */
export type TraceSource = { dbFile: string; runId: number } | { events: StoredEvent[] };

export interface CheckWorkerData {
  /** The lab's compiled checks.js. */
  checksFile: string;
  params: ParamValues;
  processes: ProcessInfo[];
  source: TraceSource;
}

export type CheckWorkerRequest = { type: 'check'; id: string } | { type: 'evidence'; ids: string[]; target: CheckResult[] };

export type CheckWorkerReply =
  | { type: 'ready' }
  | { type: 'result'; result: CheckResult }
  /** The seqs of the events to embed. */
  | { type: 'evidence'; seqs: number[] };

const port = parentPort!;
const data = workerData as CheckWorkerData;
const checks = ((await import(pathToFileURL(data.checksFile).href)) as { default: LabChecks }).default;
const stored = 'dbFile' in data.source ? new StoredTrace(data.source.dbFile, data.source.runId) : undefined;
const trace: RunTrace = stored
  ? stored.trace(data.params, data.processes)
  : memoryTrace({ params: data.params, processes: data.processes, events: (data.source as { events: StoredEvent[] }).events });

const named = (id: string): NamedCheck => {
  const definition = checks[id];
  if (!definition) throw new Error(`check "${id}" is not defined in ${data.checksFile}`);
  return { id, definition };
};

port.on('message', (request: CheckWorkerRequest) => {
  let reply: CheckWorkerReply;
  if (request.type === 'check') reply = { type: 'result', result: runChecks([named(request.id)], trace)[0]! };
  else {
    const events = trace.events();
    const kept = checkEvidence(request.ids.map(named), { params: data.params, processes: data.processes, checks: request.target }, events);
    reply = { type: 'evidence', seqs: kept.map((e) => e.seq) };
  }
  port.postMessage(reply);
});
port.once('close', () => stored?.close());
port.postMessage({ type: 'ready' } satisfies CheckWorkerReply);
