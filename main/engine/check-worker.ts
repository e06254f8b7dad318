/**
 * The worker thread a lab's checks run in (started by check-runner.ts), so that a check that never
 * returns or allocates without bound stops the worker, not the host. On `open` it imports the lab's
 * compiled checks.js and opens the trace (the run's database, read-only, or events sent with the job),
 * says `ready`, then answers one message at a time: `check` (one check's result) or `evidence` (the
 * events a report must embed, main/report/check-evidence.ts). A worker that stayed within its limits
 * is kept for the next trace (`close`, then `open`): starting one costs more than most runs' checks.
 */
import { parentPort } from 'node:worker_threads';
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

export type CheckWorkerRequest =
  /** Opens a trace (closing the one before) and imports its lab's checks (once per file). */
  | { type: 'open'; job: CheckWorkerData }
  | { type: 'check'; id: string }
  | { type: 'evidence'; ids: string[]; target: CheckResult[] }
  /** Closes the trace: the worker waits idle for the next `open`. */
  | { type: 'close' };

export type CheckWorkerReply =
  | { type: 'ready' }
  | { type: 'result'; result: CheckResult }
  /** The seqs of the events to embed. */
  | { type: 'evidence'; seqs: number[] }
  /** A read of the run's events from the database took `ms`: IPC Lab's time, not the check's. */
  | { type: 'loaded'; ms: number }
  /** The request could not be answered (checks.js did not load, the database could not be read): the worker is done. */
  | { type: 'failed'; message: string };

const port = parentPort!;
const modules = new Map<string, LabChecks>();
let opened: { data: CheckWorkerData; checks: LabChecks; trace: RunTrace; stored?: StoredTrace } | undefined;

async function open(data: CheckWorkerData): Promise<void> {
  close();
  let checks = modules.get(data.checksFile);
  if (!checks) {
    try {
      checks = ((await import(pathToFileURL(data.checksFile).href)) as { default: LabChecks }).default;
    } catch (error) {
      throw new Error(`the lab's compiled checks ${data.checksFile} do not load (${(error as Error).message}); run npm run build`, { cause: error });
    }
    modules.set(data.checksFile, checks);
  }
  const stored =
    'dbFile' in data.source
      ? new StoredTrace(data.source.dbFile, data.source.runId, (ms) => port.postMessage({ type: 'loaded', ms } satisfies CheckWorkerReply))
      : undefined;
  const trace = stored
    ? stored.trace(data.params, data.processes)
    : memoryTrace({ params: data.params, processes: data.processes, events: (data.source as { events: StoredEvent[] }).events });
  opened = { data, checks, trace, ...(stored ? { stored } : {}) };
}

function close(): void {
  opened?.stored?.close();
  opened = undefined;
}

function named(id: string): NamedCheck {
  const definition = opened!.checks[id];
  if (!definition) throw new Error(`check "${id}" is not defined in ${opened!.data.checksFile}`);
  return { id, definition };
}

// An error here (a checks file that does not load, a database that cannot be opened) is sent as a
// message, not thrown: an error's own class (SqliteError) does not cross to the host with its message.
// The host reports it on the checks it could not run, and ends this worker.
port.on('message', (request: CheckWorkerRequest) => {
  answer(request).catch((error: unknown) => {
    port.postMessage({ type: 'failed', message: error instanceof Error ? error.message : String(error) } satisfies CheckWorkerReply);
  });
});

async function answer(request: CheckWorkerRequest): Promise<void> {
  if (request.type === 'open') {
    await open(request.job);
    port.postMessage({ type: 'ready' } satisfies CheckWorkerReply);
  } else if (request.type === 'close') close();
  else if (request.type === 'check') port.postMessage({ type: 'result', result: runChecks([named(request.id)], opened!.trace)[0]! } satisfies CheckWorkerReply);
  else {
    const { data, trace } = opened!;
    const kept = checkEvidence(request.ids.map(named), { params: data.params, processes: data.processes, checks: request.target }, trace.events());
    port.postMessage({ type: 'evidence', seqs: kept.map((e) => e.seq) } satisfies CheckWorkerReply);
  }
}
