/**
 * Step 5: what a remote call costs. The same addition done `calls` times three ways:
 *   direct      add({ a, b }) in this process: a function call
 *   raw socket  8 bytes to the server process and 4 back over TCP, no RPC: the cost of the trip itself
 *   RPC         calc.add({ a, b }) through the stubs: the trip, plus marshalling, the header, dispatch
 * Each call is timed on its own (process.hrtime.bigint() before and after, so a direct call's time is
 * mostly the clock read itself: the call is cheaper still), and every result is checked. Each way
 * reports its spread: the 10th, 50th (median) and 90th percentiles of its calls, in measure events.
 * With `workUs`, the procedure first computes for that long, in the server as in the direct call.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { connectClient } from '../../../main/runtime/rpc/client.js';
import { CALC, addAfterWork } from './interfaces.js';
import { connectRawAdd } from './raw-add.js';
import { waitForPort } from './rendezvous-file.js';

const calls = lab.int('calls');
const add = addAfterWork(lab.int('workUs'));
const WARM_UP = 200;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Times `calls` calls of `one(i)` one by one, after a warm-up; counts the right results. */
async function timed(name: string, one: (i: number) => number | Promise<number>): Promise<void> {
  // `await` only what is a promise: awaiting a plain number would add a trip through the microtask queue.
  for (let i = 0; i < WARM_UP; i++) {
    const r = one(i);
    if (typeof r !== 'number') await r;
  }
  let right = 0;
  const samples = new Array<number>(calls);
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    const r = one(i);
    const sum = typeof r === 'number' ? r : await r;
    samples[i] = Number(process.hrtime.bigint() - t0);
    if (sum === i + 1000) right++;
  }
  samples.sort((x, y) => x - y);
  const [p10, p50, p90] = [10, 50, 90].map((p) => percentile(samples, p)) as [number, number, number];
  lab.measure(`${name}: calls`, calls, 'calls', `${right} of ${calls} results right`);
  lab.measure(`${name}: right results`, right, 'calls');
  lab.measure(`${name}: p10`, p10, 'ns');
  lab.measure(`${name}: p90`, p90, 'ns');
  lab.measure(`${name}: median`, p50, 'ns', `per call; 80% of the calls took ${p10} to ${p90} ns`);
}

const server = lab.spawn('server', 'calc-server.ts');
try {
  const calcPort = await waitForPort('calc');
  const rawPort = await waitForPort('raw');

  await timed('direct', (i) => add({ a: i, b: 1000 }));

  const raw = await connectRawAdd(rawPort);
  await timed('raw socket', (i) => raw.add(i, 1000));
  raw.socket.end();

  const client = await connectClient(CALC, { port: calcPort, semantics: 'at-least-once', tracer: lab, timeoutMs: 5000, traceBytes: false, traceCalls: false });
  // One call traced in full, to see what each of the others carries.
  const traced = await connectClient(CALC, { port: calcPort, semantics: 'at-least-once', tracer: lab, timeoutMs: 5000 });
  await traced.stub.add({ a: 2, b: 3 });
  await traced.close();
  await timed('rpc', (i) => client.stub.add({ a: i, b: 1000 }));
  await client.close();
} finally {
  server.kill('SIGTERM');
  await server.exited;
}
