/**
 * The answering side of the futex ping-pong: one 32-bit word of a shared segment. The benchmark stores
 * 2k+1 (round k) and wakes; this program sleeps until it sees that value, stores 2k+2 and wakes; the
 * benchmark sleeps until it sees 2k+2. Counting up (instead of 1, 2, 1, 2) lets both sides notice a
 * skipped round. -1 means stop.
 *
 *   node futex-pong.js <segment name>
 * stdout: `ready`, then {rounds, problems}
 */
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';
import { FUTEX_STOP as STOP, FUTEX_WORD as WORD, childStart, tell } from './payload.js';

const [name] = childStart();
const segment = SharedSegment.attach(name!);
const problems: string[] = [];
let rounds = 0;
tell('ready');
try {
  for (let expected = 1; ; expected += 2) {
    let value = segment.load(WORD);
    while (value !== expected && value !== STOP) {
      if (value !== expected - 1) throw new Error(`round ${rounds}: found ${value}, expected ${expected - 1} or ${expected}`);
      if (segment.wait(WORD, value, 10_000) === 'timed-out') throw new Error(`round ${rounds}: no ping for 10 s`);
      value = segment.load(WORD);
    }
    if (value === STOP) break;
    segment.store(WORD, expected + 1);
    segment.wake(WORD, 1);
    rounds++;
  }
} catch (error) {
  problems.push((error as Error).message);
}
tell({ rounds, problems });
segment.detach();
