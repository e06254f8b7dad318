/**
 * A worker of the "race" scenario: waits for the starting gun, then adds 1 to the shared counter
 * `increments` times, in one of three ways:
 *   plain   load the counter, then store it plus one: two separate steps another process can come between
 *   mutex   the same two steps, but only one process at a time may be between lock() and unlock()
 *   atomic  one atomic add: the processor does load-add-store as one indivisible step
 * Its own "done" word says how many of its increments have run (inside the mutex, in mutex mode, so
 * that it is exact even if the worker is killed).
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';
import { Mutex, MutexOwnerDiedError, MutexTimeoutError } from '../../../main/runtime/shared-memory/mutex.js';
import { failuresOnly } from './mutex-failures.js';
import { COUNTER, DONE, GO, MUTEX, READY, repairNote } from './counter-layout.js';

const increments = lab.int('increments');
const mode = lab.choice('mode');
const index = lab.int('workerIndex');
const done = DONE + 4 * (index - 1);
const segment = SharedSegment.attach(lab.shmName('counter'));
const mutex = Mutex.at(segment, MUTEX, { tracer: failuresOnly, channel: 'counter: mutex' });

segment.add(READY, 1);
segment.wake(READY, 1);
while (segment.load(GO) === 0) segment.wait(GO, 0, 10_000);

/**
 * Called by lock() when it returned EOWNERDEAD: this process holds the mutex, its last holder died
 * holding it. The state it guards is the counter and the done words. The dead worker was killed right
 * after its lock(), before its load, so neither is half-updated: check that, and go on (lock() then
 * calls pthread_mutex_consistent).
 */
function repair(deadPid: number): void {
  lab.note(repairNote(segment, deadPid, lab.int('workers')));
}

if (mode === 'plain') {
  for (let i = 0; i < increments; i++) {
    const value = segment.load(COUNTER);
    segment.store(COUNTER, value + 1);
  }
  segment.store(done, increments);
} else if (mode === 'mutex') {
  // With killHolder, worker 1 dies halfway through while it holds the mutex.
  const dieAt = lab.bool('killHolder') && index === 1 ? Math.floor(increments / 2) : -1;
  try {
    for (let i = 0; i < increments; i++) {
      mutex.lock(5000, repair);
      if (i === dieAt) {
        lab.note(`killed (SIGKILL) while holding the mutex, after ${i.toLocaleString('en')} increments`);
        lab.flush();
        process.kill(process.pid, 'SIGKILL');
      }
      const value = segment.load(COUNTER);
      segment.store(COUNTER, value + 1);
      segment.store(done, i + 1);
      mutex.unlock();
    }
  } catch (error) {
    // The mutex traced the failed wait (io.error ETIMEDOUT or EOWNERDEAD): give up with the increments done so far.
    if (!(error instanceof MutexTimeoutError || error instanceof MutexOwnerDiedError)) throw error;
    segment.detach();
    process.exit(1);
  }
} else {
  for (let i = 0; i < increments; i++) segment.add(COUNTER, 1);
  segment.store(done, increments);
}
lab.note(`${mode}: ${increments.toLocaleString('en')} increments done`);
segment.detach();
