/**
 * The starter of the "race" scenario. It makes a small segment holding one counter, then runs two
 * rounds of the same experiment: `workers` processes each add 1 to the counter `increments` times,
 * first with plain increments (load, add, store), then with the chosen protection. Each worker also
 * keeps, in a word of its own, how many of its increments have run; the sum of those against the
 * counter is the number of lost updates. (A worker killed half way has run only half of its share:
 * the increments it never made are not "lost", they never happened.)
 *
 * The plain round runs again, up to PLAIN_ROUNDS times in all, while it has lost nothing: on a busy
 * two-core machine the two workers can, now and then, run one after the other and never come between
 * each other's load and store (1 run in 25 at 1,000,000 increments each beside two CPU-bound
 * processes). Each try is in the trace with its own measurements; the check reads every one of them.
 *
 * Layout (counter-layout.ts): 0 the counter, 4 "ready" (workers that have started), 8 "go" (the
 * starting gun), 16.. one "done" word per worker, 64.. the mutex. The gun makes the workers start
 * together, so that their increments overlap.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';
import { Mutex, MutexTimeoutError } from '../../../main/runtime/shared-memory/mutex.js';
import { COUNTER, DONE, GO, MUTEX, READY, SEGMENT_BYTES, repairNote } from './counter-layout.js';
import { failuresOnly } from './mutex-failures.js';
import { waitForPeers } from './wait-for-peers.js';

const workers = lab.int('workers');
const increments = lab.int('increments');
const robust = lab.bool('robust');

const segment = SharedSegment.create(lab.shmName('counter'), SEGMENT_BYTES);
lab.emit('object.create', {
  channel: 'counter',
  object: { type: 'shm', name: segment.path },
  detail: `one 32-bit counter and a ${robust ? 'robust' : 'non-robust'} process-shared pthread mutex`,
});
lab.measure('expected', workers * increments, 'increments', `${workers} processes × ${increments.toLocaleString('en')}`);

/** How many times in all the plain round may run while it has lost no update. */
const PLAIN_ROUNDS = 3;

/**
 * The counter's track: its value as a load from the segment reads it, every SAMPLE_MS while the workers
 * run and once when they are done (buffer.level, unbounded: the track's scale is the highest value).
 * A plain round's line ends below workers × increments by the updates lost.
 */
const COUNTER_TRACK = 'counter (its value in the segment)';
const SAMPLE_MS = 2;

interface RoundResult {
  ran: number;
  lost: number;
}

/** Runs one round: `workers` processes each make `increments` increments of the counter, in `mode`; measures what happened. */
async function runRound(round: string, mode: string): Promise<RoundResult> {
  segment.store(COUNTER, 0);
  segment.store(READY, 0);
  segment.store(GO, 0);
  for (let k = 0; k < workers; k++) segment.store(DONE + 4 * k, 0);
  const mutex = Mutex.init(segment, MUTEX, { robust, tracer: failuresOnly, channel: 'counter: mutex' });
  const children = Array.from({ length: workers }, (_, index) =>
    lab.spawn('worker', 'race-worker.ts', { params: { ...lab.params, mode, round, workerIndex: index + 1 } }),
  );
  // Wait until every worker is ready, then fire the starting gun.
  waitForPeers(segment, READY, children);
  lab.level(COUNTER_TRACK, segment.load(COUNTER), null);
  const sampler = setInterval(() => lab.level(COUNTER_TRACK, segment.load(COUNTER), null), SAMPLE_MS);
  const start = process.hrtime.bigint();
  segment.store(GO, 1);
  segment.wake(GO, workers);
  const exits = await Promise.all(children.map((child) => child.exited));
  clearInterval(sampler);
  const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  const failed = exits.filter((exit) => exit.code !== 0).length;
  if (failed > 0) lab.note(`${round}: ${failed} of ${workers} workers did not finish`);
  // Read the result under the mutex, as any user of the data it guards should. If a worker died
  // holding it and nobody locked it since, this lock is the one the kernel tells (EOWNERDEAD).
  let locked = false;
  if (mode === 'mutex') {
    try {
      mutex.lock(5000, (dead) => lab.note(repairNote(segment, dead, workers)));
      locked = true;
    } catch (error) {
      if (!(error instanceof MutexTimeoutError)) throw error;
      lab.note(`${round}: the mutex is still held by a process that is gone; reading the counter without it`);
    }
  }
  let ran = 0;
  for (let k = 0; k < workers; k++) ran += segment.load(DONE + 4 * k);
  const actual = segment.load(COUNTER);
  lab.level(COUNTER_TRACK, actual, null);
  if (locked) mutex.unlock();
  lab.measure(
    `${round}: increments run`,
    ran,
    'increments',
    ran === workers * increments ? 'every worker ran all of its increments' : 'some workers did not run all of theirs',
  );
  lab.measure(`${round}: counter`, actual, 'increments');
  lab.measure(`${round}: lost updates`, ran - actual, 'increments', 'increments that ran, minus the counter');
  lab.measure(`${round}: time`, Math.round(elapsedMs), 'ms');
  return { ran, lost: ran - actual };
}

for (let attempt = 1; attempt <= PLAIN_ROUNDS; attempt++) {
  const { ran, lost } = await runRound('plain', 'plain');
  if (lost > 0 || attempt === PLAIN_ROUNDS) break;
  lab.note(
    `plain: no update was lost in try ${attempt} of ${PLAIN_ROUNDS} (all ${ran.toLocaleString('en')} counted: the workers did not come between each other's load and store); running the plain round again`,
  );
}
const protection = lab.choice('protection');
await runRound(protection, protection === 'none' ? 'plain' : protection);

segment.unlink();
segment.detach();
