/**
 * The bank's client, for step 1 (one call) and step 3 (deposits through a lossy link). It starts the
 * server as its child, finds its port, and calls the bank through the client stub: `bank.deposit(...)`
 * reads like a local call, and the stub turns it into messages, timeouts and retries.
 *
 * In step 3 it also starts the link (link.ts) and talks to the bank through it. A call that ends with
 * no answer ('unknown') is noted and the next deposit goes on. At the end it closes its connection (the
 * link delivers what it still holds back first) and stops the link and the server, which reads its
 * ledger back as it stops: that is where the checks count how often each deposit ran.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { connectClient, RpcError } from '../../../main/runtime/rpc/client.js';
import type { Semantics } from '../../../main/runtime/rpc/interface.js';
import { BANK, BANK_STALE } from './interfaces.js';
import { waitForPort } from './rendezvous-file.js';

const server = lab.spawn('server', 'bank-server.ts');
const lossy = lab.has('fault');
const link = lossy ? lab.spawn('link', 'link.ts') : undefined;
try {
  const port = await waitForPort(lossy ? 'link' : 'bank');
  const semantics = (lab.has('semantics') ? lab.choice('semantics') : 'at-most-once') as Semantics;
  const stale = lab.has('clientInterface') && lab.choice('clientInterface') === 'stale';
  const client = await connectClient(stale ? BANK_STALE : BANK, {
    port,
    semantics,
    tracer: lab,
    timeoutMs: lab.has('timeoutMs') ? lab.int('timeoutMs') : 1000,
    maxAttempts: lab.has('attempts') ? lab.int('attempts') : 5,
  });
  const bank = client.stub;
  const amount = lab.int('amount');
  const deposits = lab.has('deposits') ? lab.int('deposits') : 1;
  try {
    for (let i = 1; i <= deposits; i++) {
      try {
        const balance = await bank.deposit({ account: 'alice', amount });
        lab.note(`deposit ${i} of ${amount}: the bank says alice has ${balance}`);
      } catch (error) {
        if (!(error instanceof RpcError)) throw error;
        lab.note(`deposit ${i} of ${amount} failed (${error.code}): ${error.message}`);
      }
    }
    if (!lossy) lab.measure('balance', await bank.balance('alice'), 'units', `after ${deposits} deposit(s) of ${amount}`);
  } catch (error) {
    lab.note(`the call failed: ${(error as Error).message}`);
  } finally {
    await client.close();
  }
} finally {
  link?.kill('SIGTERM');
  await link?.exited;
  server.kill('SIGTERM');
  await server.exited;
}
