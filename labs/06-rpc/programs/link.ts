/**
 * Step 3's network: a lossy link (main/runtime/rpc/lossy-link.ts) between the client and the bank, in
 * a process of its own. The client connects here; the link connects to the bank and passes whole
 * messages both ways, except on the calls the fault hits: it drops the request, drops the reply, passes
 * the request twice, or holds it back. It serves until it gets SIGTERM.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { startLossyLink } from '../../../main/runtime/rpc/lossy-link.js';
import type { RpcFault } from '../../../main/contract/trace-events.js';
import { publishPort, waitForPort } from './rendezvous-file.js';

const link = await startLossyLink({
  target: { host: '127.0.0.1', port: await waitForPort('bank') },
  plan: { fault: lab.choice('fault') as RpcFault | 'none', every: lab.int('faultEvery'), delayMs: lab.int('delayMs') },
  tracer: lab,
});
publishPort('link', link.port);
process.on('SIGTERM', () => void link.close().then(() => process.exit(0)));
