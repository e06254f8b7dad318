/**
 * The crash step's client. It starts the supervisor (which starts the bank server, and starts it again
 * when it dies), then makes its deposits straight to the server. The server kills itself after running
 * one deposit and before replying; what the client stub does then is the semantics: at-least-once and
 * exactly-once connect again (to the port the restarted server wrote) and send the call again with the
 * same xid, at-most-once gives the call up as unknown. At the end it stops the supervisor, whose server
 * reads its ledger back as it stops.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { connectClient, RpcError } from '../../../main/runtime/rpc/client.js';
import type { Semantics } from '../../../main/runtime/rpc/interface.js';
import { BANK } from './interfaces.js';
import { readPort, waitForPort } from './rendezvous-file.js';

const supervisor = lab.spawn('supervisor', 'supervisor.ts');
try {
  const client = await connectClient(BANK, {
    port: await waitForPort('bank'),
    locate: () => readPort('bank'),
    // Starting a Node process again takes a fraction of a second here, seconds on a loaded machine.
    reconnectMs: 20_000,
    semantics: lab.choice('semantics') as Semantics,
    tracer: lab,
    timeoutMs: lab.int('timeoutMs'),
    maxAttempts: lab.int('attempts'),
  });
  const amount = lab.int('amount');
  const deposits = lab.int('deposits');
  let confirmed = 0;
  try {
    for (let i = 1; i <= deposits; i++) {
      try {
        const balance = await client.stub.deposit({ account: 'alice', amount });
        confirmed++;
        lab.note(`deposit ${i} of ${amount}: the bank says alice has ${balance}`);
      } catch (error) {
        if (!(error instanceof RpcError)) throw error;
        lab.note(`deposit ${i} of ${amount} failed (${error.code}): ${error.message}`);
      }
    }
    lab.measure('balance', await client.stub.balance('alice'), 'units', `${confirmed} of ${deposits} deposits of ${amount} were confirmed to this client`);
  } finally {
    await client.close();
  }
} finally {
  supervisor.kill('SIGTERM');
  await supervisor.exited;
}
