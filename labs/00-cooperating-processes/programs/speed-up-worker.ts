/**
 * A worker of the "speed-up" scenario: counts the primes in its share of [2, N) (primes.ts) and writes
 * the count into the results pipe. Before and after, it has the kernel view record it: the CPU time
 * /proc/<pid>/stat gives between the two is the CPU the counting took, whatever else ran meanwhile.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { countShare } from './primes.js';
import { sendLine } from '../../../main/runtime/line-reader.js';

const below = lab.int('primesBelow');
const workers = lab.int('workers');
const index = lab.int('index');
const go = lab.fd('go');
const results = lab.fd('results');
const name = `k=${workers} worker ${index + 1}`;

lab.snapshot(`${name}: ready`);
sendLine(results, `k=${workers}: results`, `ready ${index + 1}`);
// The starting gun: the coordinator closes the go pipe, and read() returns 0.
lab.read(go, `k=${workers}: go ${index + 1}`, Buffer.alloc(1));
const count = countShare(below, workers, index);
lab.snapshot(`${name}: done`);
sendLine(results, `k=${workers}: results`, `worker ${index + 1}: ${count} primes`, 2);
