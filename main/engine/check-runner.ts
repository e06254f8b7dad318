/**
 * Runs a lab's checks off the host's event loop, in a worker thread (check-worker.ts) with limits:
 * checks are code from lab files (a teacher's too), and one that never returns, or allocates without
 * bound, must cost its own verdict, never the host. A check over CHECK_TIME_LIMIT_MS is stopped
 * (Worker.terminate()); one over CHECK_MEMORY_LIMIT_MB of heap makes V8 end the worker
 * (resourceLimits, ERR_WORKER_OUT_OF_MEMORY). Either way that check fails saying so, and the checks
 * after it run in a fresh worker. Lab authors read the limits in labs/README.md.
 */
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findProjectRoot } from '../project-root.js';
import type { CheckResult, ParamValues, ProcessInfo } from '../contract/lab-model.js';
import type { CheckWorkerData, CheckWorkerReply, CheckWorkerRequest, TraceSource } from './check-worker.js';
import type { NamedCheck } from './run-checks.js';

/** How long one check may take: its own work, not the time spent reading the run's events from the database. */
export const CHECK_TIME_LIMIT_MS = 5_000;
/** How much heap the worker running a lab's checks may use (V8's old generation). */
export const CHECK_MEMORY_LIMIT_MB = 512;
/**
 * How long a report's search for the events its checks need (up to 300 re-runs of them) may take
 * altogether; past it, the report keeps every event of the run (more to embed, nothing wrong).
 */
export const EVIDENCE_TIME_LIMIT_MS = 60_000;

export type { TraceSource } from './check-worker.js';

export interface CheckJob {
  /** The lab's compiled checks.js (LoadedLab.compiledDir + checks.js). */
  checksFile: string;
  checks: NamedCheck[];
  params: ParamValues;
  processes: ProcessInfo[];
  source: TraceSource;
}

/** A lab's compiled checks module. */
export function checksFileOf(compiledDir: string): string {
  return join(compiledDir, 'checks.js');
}

/**
 * The worker script, always compiled: check-worker.js beside this module in dist/, or in dist/ when
 * this runs as TypeScript (tsx, whose loader a worker does not get). The checks it imports are
 * compiled too (lab-loader.ts), so the worker runs the same code whichever way the host runs.
 */
const workerUrl = import.meta.url.endsWith('.ts')
  ? pathToFileURL(join(findProjectRoot(), 'dist', 'main', 'engine', 'check-worker.js'))
  : new URL('./check-worker.js', import.meta.url);

type Ended = { reason: 'time' } | { reason: 'memory' } | { reason: 'error'; message: string };

/** How long a worker that finished its job waits for another before it ends. */
const IDLE_MS = 10_000;

/** One worker: requests answered in turn, each with its own deadline. Kept for the next job while it stays within its limits. */
class CheckWorker {
  private readonly worker: Worker;
  private pending: ((reply: CheckWorkerReply | Ended) => void) | undefined;
  private ended: Ended | undefined;
  private idle: NodeJS.Timeout | undefined;
  private onLoaded: ((ms: number) => void) | undefined;

  constructor() {
    this.worker = new Worker(workerUrl, { resourceLimits: { maxOldGenerationSizeMb: CHECK_MEMORY_LIMIT_MB } });
    this.worker.on('message', (reply: CheckWorkerReply) => {
      if (reply.type === 'loaded') this.onLoaded?.(reply.ms);
      else if (reply.type === 'failed') this.end({ reason: 'error', message: reply.message });
      else this.settle(reply);
    });
    this.worker.on('error', (error: Error & { code?: string }) => {
      this.end(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? { reason: 'memory' } : { reason: 'error', message: error.message });
    });
    this.worker.on('exit', () => this.end({ reason: 'error', message: 'the check worker exited' }));
  }

  get alive(): boolean {
    return this.ended === undefined;
  }

  /** Opens the job's trace; counted in the first check's time (it loads the lab's checks). */
  open(job: CheckJob): void {
    clearTimeout(this.idle);
    this.worker.ref();
    const data: CheckWorkerData = { checksFile: job.checksFile, params: job.params, processes: job.processes, source: job.source };
    this.post({ type: 'open', job: data });
  }

  /**
   * Answers `request` within `limitMs`, or says why it could not (the worker is then finished). The
   * time the worker spent reading the run's events from the database is added to the limit: it is
   * IPC Lab's work, bounded (each kind is read once per run), and on a loaded machine it is what grows.
   */
  async ask(request: CheckWorkerRequest, limitMs: number, afterReady = false): Promise<CheckWorkerReply | Ended> {
    if (this.ended) return this.ended;
    let deadline = performance.now() + limitMs;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => (performance.now() >= deadline ? this.end({ reason: 'time' }) : arm()), Math.max(0, deadline - performance.now()));
    };
    arm();
    this.onLoaded = (ms) => {
      deadline += ms;
      arm();
    };
    try {
      if (afterReady) {
        const ready = await this.reply();
        if ('reason' in ready) return ready;
      }
      const reply = this.reply();
      this.post(request);
      return await reply;
    } finally {
      clearTimeout(timer);
      this.onLoaded = undefined;
    }
  }

  /** Done with this job: kept idle for the next (not keeping the host alive), or ended if it went over a limit. */
  release(): void {
    if (!this.alive) return;
    this.post({ type: 'close' });
    this.worker.unref();
    this.idle = setTimeout(() => this.end({ reason: 'error', message: 'idle' }), IDLE_MS).unref();
  }

  private reply(): Promise<CheckWorkerReply | Ended> {
    return new Promise((resolve) => (this.pending = resolve));
  }

  private post(request: CheckWorkerRequest): void {
    if (!this.ended) this.worker.postMessage(request);
  }

  private settle(reply: CheckWorkerReply | Ended): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.(reply);
  }

  private end(why: Ended): void {
    if (this.ended) return;
    this.ended = why;
    clearTimeout(this.idle);
    void this.worker.terminate();
    this.settle(why);
  }
}

/** The idle worker a finished job left, if any: one job at a time takes it, another gets a new one. */
let spare: CheckWorker | undefined;

function acquire(job: CheckJob): CheckWorker {
  const worker = spare?.alive ? spare : new CheckWorker();
  spare = undefined;
  worker.open(job);
  return worker;
}

function release(worker: CheckWorker): void {
  worker.release();
  if (worker.alive && !spare) spare = worker;
}

/** A check that could not give its verdict: it fails saying why, and the lab author what to fix. */
function stopped(check: NamedCheck, why: Ended): CheckResult {
  const detail =
    why.reason === 'time'
      ? `The check ${check.id} took longer than ${CHECK_TIME_LIMIT_MS / 1000} s, so it was stopped.`
      : why.reason === 'memory'
        ? `The check ${check.id} used more than ${CHECK_MEMORY_LIMIT_MB} MB, so it was stopped.`
        : `The check ${check.id} could not run: ${why.message}.`;
  return {
    id: check.id,
    title: check.definition.title,
    passed: false,
    detail,
    hint:
      why.reason === 'error'
        ? "The lab's checks could not be run over this trace: the message says what failed. If it names checks.js, it is a bug in the lab; run npm run build if it is not compiled."
        : `This is a bug in the lab's checks.ts: a check must finish within ${CHECK_TIME_LIMIT_MS / 1000} s and ${CHECK_MEMORY_LIMIT_MB} MB (labs/README.md). Read only the kinds of events it needs (trace.events(kind)).`,
    moment: null,
  };
}

/** Every check's result, in order; each in the worker, under the limits. */
export async function runChecksInWorker(job: CheckJob): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  let worker: CheckWorker | undefined;
  let opened = false;
  try {
    for (const check of job.checks) {
      if (!worker?.alive) {
        worker = acquire(job);
        opened = true;
      }
      const reply = await worker.ask({ type: 'check', id: check.id }, CHECK_TIME_LIMIT_MS, opened);
      opened = false;
      results.push('reason' in reply ? stopped(check, reply) : (reply as Extract<CheckWorkerReply, { type: 'result' }>).result);
    }
  } finally {
    if (worker) release(worker);
  }
  return results;
}

/**
 * The seqs of the events a report embeds for `target` (the run's stored results): checkEvidence run
 * in the worker. Undefined when it could not finish within EVIDENCE_TIME_LIMIT_MS (or the worker ended):
 * the report then keeps every event.
 */
export async function evidenceInWorker(job: CheckJob, target: CheckResult[]): Promise<number[] | undefined> {
  const worker = acquire(job);
  try {
    const reply = await worker.ask({ type: 'evidence', ids: job.checks.map((c) => c.id), target }, EVIDENCE_TIME_LIMIT_MS, true);
    return 'reason' in reply ? undefined : (reply as Extract<CheckWorkerReply, { type: 'evidence' }>).seqs;
  } finally {
    release(worker);
  }
}
