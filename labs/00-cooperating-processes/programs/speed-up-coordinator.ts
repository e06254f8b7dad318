/**
 * The coordinator of the "speed-up" scenario: counts the primes below N with k worker processes, for
 * k = 1, 2, 4, ... up to maxWorkers, one k after the other.
 *
 * For each k:
 *   1. It starts k workers. Each gets a "go" pipe of its own (read end) and the write end of one
 *      "results" pipe shared by all (each result is one short line, at most PIPE_BUF bytes, so lines
 *      from different workers never mix: pipe(7)).
 *   2. Each worker has the kernel view record it (its CPU time so far: Node's start-up), says "ready"
 *      and waits in read() on its go pipe.
 *   3. Once all k are ready, the coordinator reads the machine's CPU counters (/proc/stat), then closes
 *      every go pipe: each worker's read() returns 0 (end of file), the starting gun. With `oneAtATime`
 *      it closes them one by one instead, each after the previous worker's result came: the same
 *      processes, but never two computing at once (the step's variant).
 *   4. Each worker counts the primes of its share, has the kernel view record it again (its CPU time
 *      now), and writes its count into the results pipe. The coordinator reads the k results, and the
 *      machine's CPU counters again.
 *
 * The check times each k from the first close of a go pipe to the last result read, and takes each
 * worker's CPU time from the kernel view (/proc/<pid>/stat utime + stime, at "ready" and at "done").
 * /proc/stat says how busy the whole machine was meanwhile: on a machine where other processes hold the
 * cores, the workers cannot get them, whatever k is.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { LineReader } from '../../../main/runtime/line-reader.js';

const below = lab.int('primesBelow');
const maxWorkers = lab.int('maxWorkers');
const oneAtATime = lab.bool('oneAtATime');

/** The numbers of workers to try: 1, 2, 4, ... up to maxWorkers, and maxWorkers itself. */
const ks: number[] = [];
for (let k = 1; k < maxWorkers; k *= 2) ks.push(k);
ks.push(maxWorkers);

/**
 * proc(5), /proc/stat: the first line adds up every CPU's time since boot, in USER_HZ ticks (1/100 s):
 * user nice system idle iowait irq softirq steal ... Busy is all but idle and iowait.
 */
function machineCpu(): { busyMs: number; idleMs: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  return { busyMs: (user + nice + system + irq + softirq + steal) * 10, idleMs: (idle + iowait) * 10 };
}

function recordMachineCpu(k: number, when: 'before' | 'after'): void {
  const { busyMs, idleMs } = machineCpu();
  lab.measure('machine-busy-ms', busyMs, 'ms', `k=${k} ${when}: /proc/stat, every CPU's busy time since boot`);
  lab.measure('machine-idle-ms', idleMs, 'ms', `k=${k} ${when}: /proc/stat, every CPU's idle time since boot`);
}

const cores = availableParallelism();
lab.measure('cores', cores, 'cores', 'os.availableParallelism(): the CPUs this process may run on (sched_getaffinity(2))');
lab.note(
  `This machine has ${cores} core${cores === 1 ? '' : 's'} for the workers. Counting the primes below ${below.toLocaleString('en-US')} with k = ${ks.join(', ')}.`,
);

for (const k of ks) {
  const results = lab.pipe(`k=${k}: results`);
  const gos = Array.from({ length: k }, (_, i) => lab.pipe(`k=${k}: go ${i + 1}`));
  const workers = gos.map((go, i) =>
    lab.spawn(`k${k}-worker-${i + 1}`, 'speed-up-worker.ts', {
      fds: { go: go.readFd, results: results.writeFd },
      params: { primesBelow: below, workers: k, index: i },
    }),
  );
  // The coordinator keeps the read end of the results and the write ends of the go pipes.
  lab.close(results.writeFd, `k=${k}: results`, 'write');
  gos.forEach((go, i) => lab.close(go.readFd, `k=${k}: go ${i + 1}`, 'read'));

  const reader = new LineReader(results.readFd, `k=${k}: results`);
  for (let ready = 0; ready < k; ready++) reader.next();
  recordMachineCpu(k, 'before');
  let received = 0;
  const receive = (): void => {
    const line = reader.next();
    if (line === undefined) throw new Error(`k=${k}: the results pipe ended after ${received} of ${k} results.`);
    lab.emit('message.receive', { channel: `k=${k}: results`, messageId: ++received, bytes: line.length + 1, text: line });
  };
  if (oneAtATime) {
    gos.forEach((go, i) => {
      lab.close(go.writeFd, `k=${k}: go ${i + 1}`, 'write');
      receive();
    });
  } else {
    gos.forEach((go, i) => lab.close(go.writeFd, `k=${k}: go ${i + 1}`, 'write'));
    while (received < k) receive();
  }
  recordMachineCpu(k, 'after');
  await Promise.all(workers.map((w) => w.exited));
  lab.close(results.readFd, `k=${k}: results`, 'read');
}
