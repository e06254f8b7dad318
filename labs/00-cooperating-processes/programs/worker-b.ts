/**
 * B: computes from its own input (the sum 1 + 2 + ... + input) and writes it on its "result" pipe to the
 * launcher. In a cooperating pair it was also handed the write end of a pipe to A, and writes its
 * result there too: that is all A ever learns from B.
 *
 * With `stall`, B says "ready" and then waits on its hold pipe before computing: the launcher kills it
 * there, so that it never sends anything.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { sendLine } from '../../../main/runtime/line-reader.js';
import { sumUpTo } from './sum.js';

const tag = lab.choice('tag');
const result = lab.fd('result');
const hold = lab.fd('hold');

// The kernel view records this process's descriptors now, while it holds all it was handed; then it
// tells the launcher it is ready.
lab.snapshot(`${tag}: B holds what it was handed`);
sendLine(result, `${tag}: B's output`, 'ready');
if (lab.bool('stall')) {
  lab.note('waiting before computing (the launcher kills B here)');
  lab.read(hold, `${tag}: hold B`, Buffer.alloc(1));
}
const output = sumUpTo(lab.int('input'));
if (lab.bool('writesToA')) sendLine(lab.fd('toA'), `${tag}: B → A`, String(output));
sendLine(result, `${tag}: B's output`, String(output), 2);
// Wait until the launcher lets go (end of file on the hold pipe), holding every descriptor meanwhile.
lab.read(hold, `${tag}: hold B`, Buffer.alloc(1));
