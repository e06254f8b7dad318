/**
 * The BANK server: the implementation (plain functions, interfaces.ts) handed to the server stub,
 * which does all the networking and marshalling. It listens on port 0, so the kernel picks a free
 * port, different each run, and tells clients where it is: through the matchmaker when the scenario
 * has one (step 4), otherwise through a file in the run's directory. It serves until it gets SIGTERM.
 *
 * Every execution goes into the server's ledger (bank.ledger in the run's directory), appended and
 * fsync'ed before the reply: a server started again reads it back and has the same accounts. With
 * `crashOnDeposit` (the crash step), the server kills itself with SIGKILL right after that deposit is in
 * the ledger and before its reply is sent: a real crash, at the worst moment, the same way each run.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { startServer } from '../../../main/runtime/rpc/server.js';
import { registerWithMatchmaker } from '../../../main/runtime/rpc/matchmaker.js';
import type { Semantics } from '../../../main/runtime/rpc/interface.js';
import { BANK, bankImplementation } from './interfaces.js';
import { publishPort } from './rendezvous-file.js';

const semantics = (lab.has('semantics') ? lab.choice('semantics') : 'at-most-once') as Semantics;
const crashOnDeposit = lab.has('crashOnDeposit') ? lab.int('crashOnDeposit') : 0;
let deposits = 0;
const server = await startServer(BANK, bankImplementation(), {
  semantics,
  tracer: lab,
  log: join(lab.runDir, 'bank.ledger'),
  fragile: lab.has('serverChecksInput') && !lab.bool('serverChecksInput'),
  beforeReply({ xid, procedure }) {
    if (procedure !== 'deposit' || ++deposits !== crashOnDeposit) return;
    lab.note(`deposit xid ${xid} is in the ledger and its reply not sent yet: SIGKILL now`);
    lab.flush();
    process.kill(process.pid, 'SIGKILL');
  },
});
if (lab.has('matchmakerPort')) {
  // The matchmaker may still be starting: try again for a few seconds before giving up.
  for (let tries = 1; ; tries++) {
    try {
      await registerWithMatchmaker(lab.int('matchmakerPort'), BANK.name, server.port, lab);
      break;
    } catch (error) {
      if (tries >= 150) throw error;
      await sleep(20);
    }
  }
  lab.note(`registered BANK -> port ${server.port} with the matchmaker`);
} else {
  publishPort('bank', server.port);
}

process.on('SIGTERM', () => {
  lab.note(`SIGTERM: closing; ${server.executed} calls executed by this process`);
  void server.close().then(() => process.exit(0));
});
