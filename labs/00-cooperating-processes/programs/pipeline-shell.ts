/**
 * The shell of the "pipeline" scenario: it runs `ls | <middle> | wc -l` the way a shell does.
 *
 *   1. pipe() twice: one pipe between ls and the middle stage, one between the middle stage and wc.
 *   2. Each stage starts with its standard input and output put on those pipe ends (the shell's
 *      dup2() before exec): ls writes to its fd 1, the middle stage reads fd 0 and writes fd 1, wc
 *      reads fd 0. No stage knows what is on either side; only the shell does.
 *   3. The shell closes every pipe end it holds. That matters: a reader sees end of file only when
 *      every write end is closed (pipe(7)), the shell's copies too. With `shellKeepsEnds` it forgets,
 *      and the stages after ls wait for ever; 3 s after ls ended the shell has the kernel view look,
 *      and ends them with SIGTERM.
 *
 * `middle` chooses the middle stage: swapping it changes nothing else in the pipeline.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';

const middle = lab.choice('middle');
const pattern = lab.choice('pattern');
const MIDDLE_PROGRAMS: Record<string, { program: string; params: Record<string, string | boolean> }> = {
  grep: { program: 'grep.ts', params: { pattern, invert: false } },
  'grep -v': { program: 'grep.ts', params: { pattern, invert: true } },
  'tr a-z A-Z': { program: 'tr.ts', params: {} },
};
const chosen = MIDDLE_PROGRAMS[middle];
if (!chosen) throw new Error(`The middle stage "${middle}" is none of ${Object.keys(MIDDLE_PROGRAMS).join(', ')}.`);
const middleName = middle === 'tr a-z A-Z' ? middle : `${middle} ${pattern}`;

const first = `ls | ${middle.split(' ')[0]}`;
const second = `${middle.split(' ')[0]} | wc`;
const left = lab.pipe(first);
const right = lab.pipe(second);
lab.note(`ls | ${middleName} | wc -l`);

// Each stage is told the names of its channels, for its lane in the timeline; which descriptors those
// are, it only finds at 0 and 1.
const ls = lab.spawn('ls', 'ls.ts', { stdout: left.writeFd, params: { outChannel: first } });
const filter = lab.spawn('middle', chosen.program, {
  stdin: left.readFd,
  stdout: right.writeFd,
  params: { ...chosen.params, inChannel: first, outChannel: second },
});
const wc = lab.spawn('wc', 'wc-l.ts', { stdin: right.readFd, params: { inChannel: second } });

if (lab.bool('shellKeepsEnds')) lab.note('The shell keeps its copies of the pipe ends open.');
else {
  lab.close(left.readFd, first, 'read');
  lab.close(left.writeFd, first, 'write');
  lab.close(right.readFd, second, 'read');
  lab.close(right.writeFd, second, 'write');
}
lab.snapshot('the shell has started the pipeline');

await ls.exited;
// The others end at end of file on their input. If they have not 3 s after ls, it is not coming: some
// write end of their pipe is still open (the shell's own copies, with shellKeepsEnds).
const rest = [filter, wc];
const running = new Set(rest);
for (const child of rest) void child.exited.then(() => running.delete(child));
let timer: NodeJS.Timeout | undefined;
const finished = await Promise.race([
  Promise.all(rest.map((child) => child.exited)),
  new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 3000))),
]);
clearTimeout(timer);
if (finished === null) {
  lab.snapshot('3 s after ls ended, the pipeline has not seen end of file');
  const waiting = [...running].map((child) => child.role).join(' and ');
  lab.note(
    `${waiting} still wait${running.size === 1 ? 's' : ''} for end of file: a write end of the pipe is still open. Ending ${running.size === 1 ? 'it' : 'them'} with SIGTERM.`,
  );
  for (const child of running) child.kill('SIGTERM');
  await Promise.all(rest.map((child) => child.exited));
}
if (lab.bool('shellKeepsEnds')) {
  lab.close(left.readFd, first, 'read');
  lab.close(left.writeFd, first, 'write');
  lab.close(right.readFd, second, 'read');
  lab.close(right.writeFd, second, 'write');
}
