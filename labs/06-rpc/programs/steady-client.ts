/**
 * Step 6's ordinary client: it makes its deposits one after another, with a pause between them, while
 * the intruder throws bad input at the same server. Every call should be answered as if nothing happened.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { connectClient, RpcError } from '../../../main/runtime/rpc/client.js';
import { BANK } from './interfaces.js';
import { publishPort, waitForPort } from './rendezvous-file.js';

const client = await connectClient(BANK, { port: await waitForPort('bank'), semantics: 'at-most-once', tracer: lab, timeoutMs: 1000, reconnectMs: 1000 });
const deposits = lab.int('deposits');
try {
  for (let i = 1; i <= deposits; i++) {
    await client.stub.deposit({ account: 'carol', amount: 10 });
    if (i === 1) publishPort('first-deposit', 1); // the intruder starts once this client is being served
    await sleep(lab.int('pauseMs'));
  }
  lab.measure('final balance', await client.stub.balance('carol'), 'units', `${deposits} deposits of 10 should make ${deposits * 10}`);
} catch (error) {
  // A failed deposit (the server is gone) ends the deposits: the rpc.error is in the trace.
  if (!(error instanceof RpcError)) throw error;
  lab.note(`stopped depositing: ${error.message}`);
} finally {
  await client.close();
}
