/**
 * A worker of the "race" scenario: waits for the starting gun, then adds 1 to the shared counter
 * `increments` times, in one of three ways:
 *   plain   load the counter, then store it plus one: two separate steps another process can come between
 *   mutex   the same two steps, but only one process at a time may be between lock() and unlock()
 *   atomic  one atomic add: the processor does load-add-store as one indivisible step
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';
import { Mutex, MutexOwnerDiedError } from '../../../main/runtime/shared-memory/mutex.js';
import { COUNTER, GO, MUTEX, READY } from './counter-layout.js';

const increments = lab.int('increments');
const mode = lab.choice('mode');
const segment = SharedSegment.attach(lab.shmName('counter'));
const mutex = Mutex.at(segment, MUTEX);

segment.add(READY, 1);
segment.wake(READY, 1);
while (segment.load(GO) === 0) segment.wait(GO, 0, 10_000);

if (mode === 'plain') {
  for (let i = 0; i < increments; i++) {
    const value = segment.load(COUNTER);
    segment.store(COUNTER, value + 1);
  }
} else if (mode === 'mutex') {
  // With killHolder, worker 1 dies halfway through while it holds the mutex. The others must not wait
  // for ever: their lock() notices the holder is gone and fails with EOWNERDEAD.
  const dieAt = lab.bool('killHolder') && lab.int('workerIndex') === 1 ? Math.floor(increments / 2) : -1;
  try {
    for (let i = 0; i < increments; i++) {
      mutex.lock();
      if (i === dieAt) {
        lab.note('killed (SIGKILL) while holding the mutex');
        lab.flush();
        process.kill(process.pid, 'SIGKILL');
      }
      const value = segment.load(COUNTER);
      segment.store(COUNTER, value + 1);
      mutex.unlock();
    }
  } catch (error) {
    if (!(error instanceof MutexOwnerDiedError)) throw error;
    lab.emit('io.error', { op: 'wait', channel: 'counter: mutex', code: 'EOWNERDEAD', message: error.message });
    process.exit(1);
  }
} else {
  for (let i = 0; i < increments; i++) segment.add(COUNTER, 1);
}
lab.note(`${mode}: ${increments.toLocaleString('en')} increments done`);
segment.detach();
