/**
 * The starter of the "synchronisation" scenario: `producers` producers and `consumers` consumers on
 * one textbook bounded buffer in a segment (sync-buffer.ts), or on one pipe.
 *
 * Ring: it makes the buffer, starts everyone, and watches the buffer's progress word (puts + gets).
 * When no item has moved for STALL_MS and the kernel shows every producer and consumer still alive
 * asleep in a futex wait (/proc/<pid>/stat state S, /proc/<pid>/wchan a futex function: futex_do_wait
 * on this kernel, futex_wait_queue on older ones), nothing can ever wake them: it asks the engine for
 * the kernel's view, as evidence, and ends them (SIGKILL), so that the run ends and its checks run.
 * Otherwise, once the producers are done, it puts END items until every consumer has stopped.
 *
 * Pipe: it makes the pipe, hands the read end to the consumers and the write end to the producers,
 * and closes its own two ends: the consumers read end of file once every producer has closed its end.
 */
import { readFileSync } from 'node:fs';
import { lab, type ChildProcessHandle } from '../../../main/runtime/lab-runtime.js';
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';
import { MISTAKES, PROGRESS, TextbookBuffer, type Mistake } from './sync-buffer.js';
import { END } from './sync-items.js';

/** No progress for this long, with everyone asleep in futex waits: a deadlock. */
const STALL_MS = 1500;
const POLL_MS = 50;

const mistake = lab.choice('mistake') as Mistake;
if (!MISTAKES.includes(mistake)) throw new Error(`mistake must be one of ${MISTAKES.join(', ')}, not "${mistake}"`);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const spawnAll = (role: 'producer' | 'consumer', count: number, fds?: Record<string, number>) =>
  Array.from({ length: count }, (_, i) => lab.spawn(role, `sync-${role}.ts`, { params: { ...lab.params, producerIndex: i + 1 }, ...(fds ? { fds } : {}) }));

if (lab.choice('carrier') === 'pipe') {
  const { readFd, writeFd } = lab.pipe('pipe');
  const consumers = spawnAll('consumer', lab.int('consumers'), { pipe: readFd });
  const producers = spawnAll('producer', lab.int('producers'), { pipe: writeFd });
  lab.close(readFd, 'pipe', 'read');
  lab.close(writeFd, 'pipe', 'write');
  await Promise.all([...producers, ...consumers].map((p) => p.exited));
} else {
  const slots = lab.int('slots');
  const segment = SharedSegment.create(lab.shmName('buffer'), TextbookBuffer.bytesFor(slots));
  const buffer = TextbookBuffer.create(segment, slots, lab);
  lab.emit('object.create', {
    channel: 'buffer',
    object: { type: 'shm', name: segment.path },
    detail: `a textbook bounded buffer of ${slots} slots${mistake === 'none' ? '' : `; the producers' mistake: ${mistake}`}`,
  });
  const consumers = spawnAll('consumer', lab.int('consumers'));
  const producers = spawnAll('producer', lab.int('producers'));
  const alive = new Set<ChildProcessHandle>([...consumers, ...producers]);
  for (const child of alive) void child.exited.then(() => alive.delete(child));

  let deadlocked = false;
  let last = segment.load(PROGRESS);
  let since = performance.now();
  while (producers.some((p) => alive.has(p))) {
    await pause(POLL_MS);
    const progress = segment.load(PROGRESS);
    if (progress !== last || progress === 0) {
      [last, since] = [progress, performance.now()];
      continue;
    }
    const stalled = performance.now() - since;
    if (stalled < STALL_MS || ![...alive].every((child) => asleepInFutex(child.pid))) continue;
    deadlocked = true;
    lab.note(`no item has moved for ${Math.round(stalled)} ms and every producer and consumer sleeps in a futex wait: nothing can wake them`);
    lab.snapshot(`no progress for ${Math.round(stalled)} ms`);
    for (const child of alive) child.kill('SIGKILL');
  }
  if (!deadlocked) {
    // END items until every consumer has stopped (after the race, one may have missed its END).
    while (consumers.some((c) => alive.has(c))) {
      if (!buffer.put(Buffer.from(END), 50)) await pause(10);
      else await pause(1);
    }
  }
  await Promise.all([...producers, ...consumers].map((p) => p.exited));
  segment.unlink();
  segment.detach();
}

/** The kernel's word on a process (proc(5)): asleep (S) in a futex function, or already ended. */
function asleepInFutex(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return true;
    return state === 'S' && readFileSync(`/proc/${pid}/wchan`, 'utf8').includes('futex');
  } catch {
    return true; // gone
  }
}
