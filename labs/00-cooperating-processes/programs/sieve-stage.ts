/**
 * A stage of the prime sieve (see sieve-generator.ts). It was started as after fork(): it holds every
 * descriptor its parent held, at the same numbers. It needs only the read end of its input pipe
 * ("left"), so it first closes the rest: the input pipe's write end, and its parent's own input.
 *
 *   p = the first number read: a prime (no smaller prime divided it, or a stage before would have
 *       kept it back).
 *   for each further number n: if p does not divide n, pass it on to the next stage, which this
 *       stage starts (with a new pipe) the first time it has a number to pass.
 *   At end of file: close the pipe to the next stage (its end of file), wait for it, and exit.
 *
 * So each stage holds exactly two pipe ends once it has a neighbour: the read end of its input and
 * the write end of its output. With `closeInheritedWriteEnd` off, a stage keeps the write end of its
 * own input pipe: a writer of its own input, it never sees end of file (pipe(7)).
 */
import { lab, type ChildProcessHandle } from '../../../main/runtime/lab-runtime.js';

const stage = lab.int('stage');
const leftChannel = lab.choice('leftChannel');
const left = lab.fd('left');
const name = `stage ${stage}`;

if (lab.bool('closeInheritedWriteEnd')) lab.close(lab.fd('leftWrite'), leftChannel, 'write');
else lab.note('Keeping the inherited write end of its own input pipe.');
// The parent's input pipe came along too (stage 2 on): this stage has no use for it.
if (stage > 1) lab.close(lab.fd('parentLeft'), lab.choice('parentLeftChannel'), 'read');
lab.snapshot(`${name}: set up`);

const readNumber = (): number | undefined => {
  const bytes = lab.readFull(left, leftChannel, 4);
  return bytes.length === 4 ? bytes.readUInt32LE() : undefined;
};

const prime = readNumber();
if (prime !== undefined) {
  lab.note(`prime ${prime}`);
  let right: { readFd: number; writeFd: number } | undefined;
  let next: ChildProcessHandle | undefined;
  const rightChannel = `after ${prime}`;
  for (let n = readNumber(); n !== undefined; n = readNumber()) {
    if (n % prime === 0) continue;
    if (!right) {
      right = lab.pipe(rightChannel);
      next = lab.spawn(`stage-${stage + 1}`, 'sieve-stage.ts', {
        inherit: 'all',
        fds: { left: right.readFd, leftWrite: right.writeFd, parentLeft: left },
        params: { ...lab.params, stage: stage + 1, leftChannel: rightChannel, parentLeftChannel: leftChannel },
      });
      lab.close(right.readFd, rightChannel, 'read');
      lab.snapshot(`${name}: with its neighbour`);
    }
    const word = Buffer.alloc(4);
    word.writeUInt32LE(n);
    lab.write(right.writeFd, rightChannel, word);
  }
  if (right) lab.close(right.writeFd, rightChannel, 'write');
  if (next) await next.exited;
}
lab.close(left, leftChannel, 'read');
