/**
 * The generator of the "sieve" scenario: McIlroy's prime sieve, as in xv6's `primes`. It writes the
 * numbers 2, 3, ..., N-1 into a pipe read by the first stage (sieve-stage.ts). Each stage reads its
 * first number, a prime, and passes on only the numbers that prime does not divide, to a stage it
 * starts itself the first time it has one to pass: one process per prime, made on demand.
 *
 * The first stage is started as after fork(): it inherits both ends of the pipe (inherit: 'all') and
 * must close the write end it does not use, or it will never see end of file (the step's variant).
 *
 * A sieve whose stages never see end of file would wait for ever. The generator watches the stages
 * (the processes of its process group in /proc): if for 2 s none has used any CPU and all are
 * asleep, the sieve is stuck; it has the kernel view look, then ends the first stage, and every later
 * stage dies with its parent (the runtime's parent-death signal).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { lab } from '../../../main/runtime/lab-runtime.js';

const below = lab.int('primesBelow');

const numbers = lab.pipe('2, 3, 4, ...');
const first = lab.spawn('stage-1', 'sieve-stage.ts', {
  inherit: 'all',
  fds: { left: numbers.readFd, leftWrite: numbers.writeFd },
  params: { ...lab.params, stage: 1, leftChannel: '2, 3, 4, ...' },
});
lab.close(numbers.readFd, '2, 3, 4, ...', 'read');
const word = Buffer.alloc(4);
for (let n = 2; n < below; n++) {
  word.writeUInt32LE(n);
  lab.write(numbers.writeFd, '2, 3, 4, ...', word);
}
lab.close(numbers.writeFd, '2, 3, 4, ...', 'write');

/** The other processes of this process group (the stages: lab.spawn keeps the group), by /proc/<pid>/stat. */
function stages(): { pid: number; state: string; cpu: number }[] {
  const found: { pid: number; state: string; cpu: number }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // proc(5): state is field 3, pgrp 5, utime 14, stime 15 (here 0, 2, 11, 12 after the command name).
      if (Number(fields[2]) === process.pid) found.push({ pid: Number(name), state: fields[0]!, cpu: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

let exited = false;
void first.exited.then(() => (exited = true));
let last = '';
let stillSince = Date.now();
while (!exited) {
  await new Promise((resolve) => setTimeout(resolve, 200));
  const now = stages();
  const key = JSON.stringify(now.map((s) => [s.pid, s.cpu]));
  const asleep = now.length > 0 && now.every((s) => s.state === 'S');
  if (key !== last || !asleep) {
    last = key;
    stillSince = Date.now();
  } else if (Date.now() - stillSince > 2000 && !exited) {
    lab.snapshot('the sieve is stuck: every stage asleep for 2 s');
    lab.note(
      `For 2 s no stage has used any CPU and all ${now.length} are asleep: some stage waits for an end of file that cannot come. Ending the first stage with SIGTERM (the others die with their parents).`,
    );
    first.kill('SIGTERM');
    break;
  }
}
await first.exited;
