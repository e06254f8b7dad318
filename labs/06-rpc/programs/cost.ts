/**
 * Step 5: what a remote call costs. The same addition done `calls` times three ways:
 *   direct      add({ a, b }) in this process: a function call
 *   raw socket  8 bytes to the server process and 4 back over TCP, no RPC: the cost of the trip itself
 *   RPC         calc.add({ a, b }) through the stubs: the trip, plus marshalling, the header, dispatch
 * Each way checks every result, and reports ns per call and calls per second (measure events).
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { connectClient } from '../../../main/runtime/rpc/client.js';
import { CALC, add } from './interfaces.js';
import { connectRawAdd } from './raw-add.js';
import { waitForPort } from './rendezvous-file.js';

const calls = lab.int('calls');
const WARM_UP = 200;

/** Times `calls` calls of `one(i)` after a warm-up; counts the right results. */
async function timed(name: string, one: (i: number) => number | Promise<number>): Promise<void> {
  // `await` only what is a promise: awaiting a plain number would add a trip through the microtask queue.
  const value = async (i: number) => {
    const r = one(i);
    return typeof r === 'number' ? r : await r;
  };
  for (let i = 0; i < WARM_UP; i++) await value(i);
  let right = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) {
    const r = one(i);
    if ((typeof r === 'number' ? r : await r) === i + 1000) right++;
  }
  const ns = Number(process.hrtime.bigint() - start) / calls;
  lab.measure(`${name}: calls`, calls, 'calls', `${right} of ${calls} results right`);
  lab.measure(`${name}: right results`, right, 'calls');
  lab.measure(`${name}: time per call`, Math.round(ns), 'ns', `${Math.round(1e9 / ns).toLocaleString('en-US')} calls/s`);
  lab.measure(`${name}: calls per second`, Math.round(1e9 / ns), 'calls/s');
}

const server = lab.spawn('server', 'calc-server.ts');
try {
  const calcPort = await waitForPort('calc');
  const rawPort = await waitForPort('raw');

  await timed('direct', (i) => add({ a: i, b: 1000 }));

  const raw = await connectRawAdd(rawPort);
  await timed('raw socket', (i) => raw.add(i, 1000));
  raw.socket.end();

  const client = await connectClient(CALC, { port: calcPort, semantics: 'none', tracer: lab, timeoutMs: 5000, traceBytes: false, traceCalls: false });
  // One call traced in full, to see what each of the others carries.
  const traced = await connectClient(CALC, { port: calcPort, semantics: 'none', tracer: lab, timeoutMs: 5000 });
  await traced.stub.add({ a: 2, b: 3 });
  await traced.close();
  await timed('rpc', (i) => client.stub.add({ a: i, b: 1000 }));
  await client.close();
} finally {
  server.kill('SIGTERM');
  await server.exited;
}
