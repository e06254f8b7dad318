/**
 * The launcher of the "pair" scenario: the shell that starts two processes, A and B, three times as an
 * independent pair and three times as a cooperating pair.
 *
 *   round 1: B gets its input b, A gets a;
 *   round 2: B gets b + bChange, A the same a;
 *   round 3: B gets b, but the launcher kills it (SIGKILL) before it has computed anything.
 *
 * Independent, A and B have nothing of each other: each computes from its own input. Cooperating, the
 * launcher makes a pipe and hands B its write end and A its read end before they start (the way a
 * shell connects `b | a`): B writes its result into it, A reads it and adds it to its own.
 *
 * Each of A and B also holds two pipes of its own to the launcher: "result" (its output, read here)
 * and "hold" (it waits on it until the launcher closes it). Each asks the kernel view to record its
 * descriptors (lab.snapshot()) before it says "ready", and holds them all until the hold pipe closes,
 * so that A's table and B's are recorded while both hold what they were handed. The result and hold
 * pipes are the launcher's, one per process: A and B share nothing through them.
 *
 * The variants take the phenomenon away: with `cooperate` off, the "cooperating" pair is never
 * connected; with `independentShare` on, the "independent" pair is.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { LineReader } from '../../../main/runtime/line-reader.js';

const a = lab.int('aInput');
const b = lab.int('bInput');
const bChange = lab.int('bChange');

interface Round {
  number: number;
  bInput: number;
  killB: boolean;
}
const rounds: Round[] = [
  { number: 1, bInput: b, killB: false },
  { number: 2, bInput: b + bChange, killB: false },
  { number: 3, bInput: b, killB: true },
];

async function runRound(mode: 'independent' | 'cooperating', round: Round, connect: boolean): Promise<void> {
  const tag = `${mode === 'independent' ? 'indep' : 'coop'}-${round.number}`;
  lab.note(
    `${mode} pair, round ${round.number}: A's input ${a}, B's input ${round.bInput}${round.killB ? ', and B is killed before it computes' : ''}${connect ? '; a pipe from B to A' : '; nothing between A and B'}`,
  );
  const resultA = lab.pipe(`${tag}: A's output`);
  const resultB = lab.pipe(`${tag}: B's output`);
  const holdA = lab.pipe(`${tag}: hold A`);
  const holdB = lab.pipe(`${tag}: hold B`);
  // The pipe a shell would make for `b | a`: only when the pair cooperates.
  const link = connect ? lab.pipe(`${tag}: B → A`) : undefined;

  const b = lab.spawn(`${tag}-b`, 'worker-b.ts', {
    fds: { result: resultB.writeFd, hold: holdB.readFd, ...(link ? { toA: link.writeFd } : {}) },
    params: { input: round.bInput, writesToA: link !== undefined, stall: round.killB, tag },
  });
  const aChild = lab.spawn(`${tag}-a`, 'worker-a.ts', {
    fds: { result: resultA.writeFd, hold: holdA.readFd, ...(link ? { fromB: link.readFd } : {}) },
    params: { input: a, readsB: link !== undefined, tag },
  });
  // The launcher keeps only its own ends: the read ends of the results and the write ends of the holds.
  lab.close(resultA.writeFd, `${tag}: A's output`, 'write');
  lab.close(resultB.writeFd, `${tag}: B's output`, 'write');
  lab.close(holdA.readFd, `${tag}: hold A`, 'read');
  lab.close(holdB.readFd, `${tag}: hold B`, 'read');
  if (link) {
    lab.close(link.readFd, `${tag}: B → A`, 'read');
    lab.close(link.writeFd, `${tag}: B → A`, 'write');
  }

  const fromA = new LineReader(resultA.readFd, `${tag}: A's output`);
  const fromB = new LineReader(resultB.readFd, `${tag}: B's output`);
  // Both say "ready" once the kernel view has recorded what they hold.
  fromA.next();
  fromB.next();

  if (round.killB) {
    // B waits on its hold pipe before computing: kill it there, before it has sent anything.
    b.kill('SIGKILL');
    await b.exited;
  } else {
    const output = fromB.next();
    if (output !== undefined) lab.emit('message.receive', { channel: `${tag}: B's output`, messageId: 1, bytes: output.length + 1, text: output });
  }
  const output = fromA.next();
  if (output !== undefined) lab.emit('message.receive', { channel: `${tag}: A's output`, messageId: 1, bytes: output.length + 1, text: output });
  else lab.note(`${tag}: A ended without an output`);

  lab.close(holdA.writeFd, `${tag}: hold A`, 'write');
  lab.close(holdB.writeFd, `${tag}: hold B`, 'write');
  await aChild.exited;
  if (!round.killB) await b.exited;
  lab.close(resultA.readFd, `${tag}: A's output`, 'read');
  lab.close(resultB.readFd, `${tag}: B's output`, 'read');
}

for (const round of rounds) await runRound('independent', round, lab.bool('independentShare'));
for (const round of rounds) await runRound('cooperating', round, lab.bool('cooperate'));
