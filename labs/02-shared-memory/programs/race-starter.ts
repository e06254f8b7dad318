/**
 * The starter of the "race" scenario. It makes a small segment holding one counter, then runs two
 * rounds of the same experiment: `workers` processes each add 1 to the counter `increments` times,
 * first with plain increments (load, add, store), then with the chosen protection. Expected minus
 * actual is the number of lost updates.
 *
 * Layout: offset 0 the counter, 4 "ready" (workers that have started), 8 "go" (the starting gun),
 * 16.. the mutex. The gun makes the workers start together, so that their increments overlap.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';
import { Mutex } from '../../../main/runtime/shared-memory/mutex.js';
import { COUNTER, GO, MUTEX, READY } from './counter-layout.js';

const workers = lab.int('workers');
const increments = lab.int('increments');
const expected = workers * increments;

const segment = SharedSegment.create(lab.shmName('counter'), 64);
Mutex.init(segment, MUTEX);
lab.emit('object.create', { channel: 'counter', object: { type: 'shm', name: segment.path }, detail: 'one 32-bit counter and a mutex' });
lab.measure('expected', expected, 'increments', `${workers} processes × ${increments.toLocaleString('en')}`);

for (const mode of ['plain', lab.choice('protection')]) {
  segment.store(COUNTER, 0);
  segment.store(READY, 0);
  segment.store(GO, 0);
  const children = Array.from({ length: workers }, (_, index) =>
    lab.spawn('worker', 'race-worker.ts', { params: { ...lab.params, mode, workerIndex: index + 1 } }),
  );
  // Wait until every worker is ready, then fire the starting gun.
  for (let ready = segment.load(READY); ready < workers; ready = segment.load(READY)) segment.wait(READY, ready, 10_000);
  const start = process.hrtime.bigint();
  segment.store(GO, 1);
  segment.wake(GO, workers);
  const exits = await Promise.all(children.map((child) => child.exited));
  const failed = exits.filter((exit) => exit.code !== 0).length;
  if (failed > 0) lab.note(`${mode}: ${failed} of ${workers} workers did not finish`);
  const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  const actual = segment.load(COUNTER);
  lab.measure(`${mode}: counter`, actual, 'increments');
  lab.measure(`${mode}: lost updates`, expected - actual, 'increments');
  lab.measure(`${mode}: time`, Math.round(elapsedMs), 'ms');
}

segment.unlink();
segment.detach();
