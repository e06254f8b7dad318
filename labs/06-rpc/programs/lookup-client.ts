/**
 * Step 4's client. It knows one port, the matchmaker's. It starts the matchmaker and the bank server
 * (which binds port 0 and registers the port it got), asks the matchmaker where BANK is, then calls it.
 * With `hardcodedPort` it skips the matchmaker and calls that port, as a client with a port written
 * into it would.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { connectClient } from '../../../main/runtime/rpc/client.js';
import { askMatchmaker } from '../../../main/runtime/rpc/matchmaker.js';
import { BANK } from './interfaces.js';

const matchmakerPort = lab.int('matchmakerPort');
const matchmaker = lab.spawn('matchmaker', 'matchmaker.ts');
let server: ReturnType<typeof lab.spawn> | undefined;
try {
  server = lab.spawn('server', 'bank-server.ts');
  // Ask until the server has registered (LOOKUP answers 0 until then), as a client started early would.
  let port = lab.int('hardcodedPort');
  if (port !== 0) lab.note(`calling BANK at port ${port}, the port written into this client`);
  for (let tries = 1; port === 0; tries++) {
    try {
      port = await askMatchmaker(matchmakerPort, lab, (mm) => mm.lookup(BANK.name));
    } catch (error) {
      if (tries === 1 || tries % 50 === 0) lab.note(`the matchmaker is not reachable yet (${(error as Error).message})`);
    }
    if (port === 0) {
      if (tries >= 300) throw new Error('BANK never registered with the matchmaker');
      await sleep(20);
    }
  }
  if (lab.int('hardcodedPort') === 0) lab.note(`the matchmaker says BANK is at port ${port}`);
  // A client with a port written into it tries a while (the server may be starting), then gives up.
  for (let tries = 1; ; tries++) {
    try {
      const client = await connectClient(BANK, { port, semantics: 'at-most-once', tracer: lab, timeoutMs: 1000 });
      try {
        await client.stub.deposit({ account: 'alice', amount: lab.int('amount') });
        await client.stub.balance('alice');
      } finally {
        await client.close();
      }
      break;
    } catch (error) {
      if (tries >= 10) {
        lab.note(`no call: ${(error as Error).message}`);
        break;
      }
      await sleep(200);
    }
  }
} finally {
  server?.kill('SIGTERM');
  matchmaker.kill('SIGTERM');
  await Promise.all([server?.exited, matchmaker.exited]);
}
