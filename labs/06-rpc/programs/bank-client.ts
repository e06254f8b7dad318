/**
 * The bank's client, for step 1 (one call) and step 3 (deposits through a faulty link). It starts the
 * server as its child, finds its port, and calls the bank through the client stub: `bank.deposit(...)`
 * reads like a local call, and the stub turns it into messages, timeouts and retries. At the end it
 * asks for the balance (after every request the link held back has been sent) and stops the server.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { connectClient, type FaultPlan } from '../../../main/runtime/rpc/client.js';
import type { Semantics } from '../../../main/runtime/rpc/interface.js';
import type { RpcFault } from '../../../main/contract/trace-events.js';
import { BANK } from './interfaces.js';
import { waitForPort } from './rendezvous-file.js';

const server = lab.spawn('server', 'bank-server.ts');
try {
  const port = await waitForPort('bank');
  const semantics = (lab.has('semantics') ? lab.choice('semantics') : 'at-most-once') as Semantics;
  const fault = lab.has('fault') ? lab.choice('fault') : 'none';
  const faults: FaultPlan | undefined =
    fault === 'none' ? undefined : { fault: fault as RpcFault, every: lab.int('faultEvery'), delayMs: lab.has('delayMs') ? lab.int('delayMs') : 0 };
  const client = await connectClient(BANK, {
    port,
    semantics,
    tracer: lab,
    timeoutMs: lab.has('timeoutMs') ? lab.int('timeoutMs') : 1000,
    maxAttempts: lab.has('attempts') ? lab.int('attempts') : 5,
    faults,
  });
  const bank = client.stub;
  const amount = lab.int('amount');
  const deposits = lab.has('deposits') ? lab.int('deposits') : 1;
  try {
    for (let i = 1; i <= deposits; i++) {
      const balance = await bank.deposit({ account: 'alice', amount });
      lab.note(`deposit ${i} of ${amount}: the bank says alice has ${balance}`);
    }
    await client.drain();
    const balance = await bank.balance('alice');
    lab.measure('final balance', balance, 'units', `${deposits} deposits of ${amount} should make ${deposits * amount}`);
  } catch (error) {
    lab.note(`the call failed: ${(error as Error).message}`);
  } finally {
    await client.close();
  }
} finally {
  server.kill('SIGTERM');
  await server.exited;
}
