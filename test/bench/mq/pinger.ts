/**
 * The timing side of a ping-pong run: opens its outgoing endpoint, then its incoming one (the answering
 * side opens them in the same order, so blocking FIFO opens meet), says `ready`, waits for the go byte on
 * fd 3, then for each round k sends message k and waits for it to come back, timing each round trip with
 * process.hrtime.bigint(). The first warmUp rounds are not kept.
 *
 *   node pinger.js <out endpoint> <in endpoint> <message bytes> <warm-up rounds> <measured rounds>
 * stdout: `ready`, then {samples (ns, measured rounds), rounds, problems}
 */
import { childStart, tell } from '../shm/payload.js';
import { openEndpoint, pattern, stamp, tellLong, waitForGo } from './endpoint.js';

const [outSpec, inSpec, bytesArg, warmUpArg, roundsArg] = childStart();
const bytes = Number(bytesArg);
const warmUp = Number(warmUpArg);
const total = warmUp + Number(roundsArg);
const out = openEndpoint(outSpec!, 'send');
const into = openEndpoint(inSpec!, 'receive');
const message = pattern(bytes);
const answer = Buffer.alloc(bytes);
tell('ready');
waitForGo();

const samples: number[] = [];
const problems: string[] = [];
let rounds = 0;
try {
  for (; rounds < total; rounds++) {
    stamp(message, rounds);
    const started = process.hrtime.bigint();
    out.send(message);
    const length = into.receive(answer);
    const elapsed = process.hrtime.bigint() - started;
    if (rounds >= warmUp) samples.push(Number(elapsed));
    if (length !== bytes) throw new Error(`round ${rounds}: answer of ${length} bytes, not ${bytes}`);
    if (!answer.equals(message)) throw new Error(`round ${rounds}: the answer differs from the message`);
  }
} catch (error) {
  problems.push((error as Error).message);
}
out.close(); // end of file for a stream ponger
into.close();
tellLong({ samples, rounds, problems });
