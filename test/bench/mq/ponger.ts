/**
 * The answering side of a ping-pong run: opens its incoming endpoint, then its outgoing one, says
 * `ready`, then `rounds` times receives a message, checks it carries the next round number and sends it
 * back unchanged. A stream must then end (the pinger closes its end); a queue is checked empty by the
 * benchmark.
 *
 *   node ponger.js <in endpoint> <out endpoint> <message bytes> <rounds>
 * stdout: `ready`, then {rounds, problems}
 */
import { childStart, tell } from '../shm/payload.js';
import { openEndpoint } from './endpoint.js';

const [inSpec, outSpec, bytesArg, roundsArg] = childStart();
const bytes = Number(bytesArg);
const total = Number(roundsArg);
const into = openEndpoint(inSpec!, 'receive');
const out = openEndpoint(outSpec!, 'send');
const message = Buffer.alloc(bytes);
const problems: string[] = [];
let rounds = 0;
tell('ready');
try {
  for (; rounds < total; rounds++) {
    const length = into.receive(message);
    if (length !== bytes) throw new Error(`round ${rounds}: ${length === 0 ? 'end of file' : `${length} bytes`} instead of a ${bytes}-byte message`);
    if (message.readUInt32LE(0) !== rounds) throw new Error(`round ${rounds}: message carries ${message.readUInt32LE(0)}`);
    out.send(message);
  }
  if (into.kind !== 'mqueue') {
    const extra = into.receive(message);
    if (extra > 0) throw new Error(`${extra} bytes after the last round`);
  }
} catch (error) {
  problems.push((error as Error).message);
}
out.close();
into.close();
tell({ rounds, problems });
