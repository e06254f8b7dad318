/**
 * Step 5: what a remote call costs. The same addition done `calls` times three ways:
 *   direct      add({ a, b }) in this process: a function call
 *   raw socket  8 bytes to the server process and 4 back over TCP, no RPC: the cost of the trip itself
 *   RPC         calc.add({ a, b }) through the stubs: the trip, plus marshalling, the header, dispatch
 * Each remote call is timed on its own (process.hrtime.bigint() before and after); a direct call is
 * shorter than reading the clock, so direct calls are timed in batches of DIRECT_BATCH and each batch's
 * time divided among its calls. Every result is checked. Each way reports its spread: the 10th, 50th
 * (median) and 90th percentiles of its samples, in measure events.
 * Around the timed calls of each remote way the client asks for a kernel snapshot, and notes when the
 * calls start: the kernel counts the client's write() calls (/proc/<pid>/io syscw, one per call), so the
 * trace alone says how long a call took on average, whatever this program works out.
 * With `workUs`, the procedure first computes for that long, in the server as in the direct call.
 * Then the trip alone in C (main/runtime/native-loops.ts, main/native/measure-loops.c): `calls` round
 * trips of the raw request's 12 bytes, write() then read() with no Node in between, on both sides; one
 * io.begin / io.end pair in the trace, the loop's own median and p90 in measure events.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { connectClient } from '../../../main/runtime/rpc/client.js';
import { CALC, addAfterWork } from './interfaces.js';
import { connectRawAdd } from './raw-add.js';
import { waitForPort } from './rendezvous-file.js';
import { connect } from 'node:net';
import { pingLoop, tracedLoop } from '../../../main/runtime/native-loops.js';
import { RAW_REQUEST_BYTES } from './raw-add.js';

const calls = lab.int('calls');
const add = addAfterWork(lab.int('workUs'));
const WARM_UP = 200;
/** Direct calls per timed sample: one call takes less time than the clock read around it. */
const DIRECT_BATCH = 100;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Times `calls` calls of `one(i)`, `batch` calls per sample, after a warm-up; counts the right results.
 * With `look`, the timed calls run between two kernel snapshots, the first followed by a note.
 */
async function timed(name: string, one: (i: number) => number | Promise<number>, batch = 1, look = false): Promise<void> {
  // `await` only what is a promise: awaiting a plain number would add a trip through the microtask queue.
  for (let i = 0; i < WARM_UP; i++) {
    const r = one(i);
    if (typeof r !== 'number') await r;
  }
  let right = 0;
  const samples: number[] = [];
  if (look) {
    lab.snapshot(`before ${name} calls`);
    lab.note(`${name}: ${calls} timed calls start`);
  }
  for (let start = 0; start < calls; start += batch) {
    const end = Math.min(calls, start + batch);
    const t0 = process.hrtime.bigint();
    for (let i = start; i < end; i++) {
      const r = one(i);
      if ((typeof r === 'number' ? r : await r) === i + 1000) right++;
    }
    samples.push(Number(process.hrtime.bigint() - t0) / (end - start));
  }
  if (look) lab.snapshot(`after ${name} calls`);
  samples.sort((x, y) => x - y);
  const [p10, p50, p90] = [10, 50, 90].map((p) => Math.round(percentile(samples, p) * 10) / 10) as [number, number, number];
  lab.measure(`${name}: calls`, calls, 'calls', `${right} of ${calls} results right`);
  lab.measure(`${name}: right results`, right, 'calls');
  const per = batch === 1 ? 'per call' : `per call, from ${samples.length} batches of ${batch}`;
  lab.measure(`${name}: p10`, p10, 'ns');
  lab.measure(`${name}: p90`, p90, 'ns');
  lab.measure(`${name}: median`, p50, 'ns', `${per}; 80% of the samples took ${p10} to ${p90} ns`);
}

const server = lab.spawn('server', 'calc-server.ts');
try {
  const calcPort = await waitForPort('calc');
  const rawPort = await waitForPort('raw');

  await timed('direct', (i) => add({ a: i, b: 1000 }), DIRECT_BATCH);

  const raw = await connectRawAdd(rawPort);
  await timed('raw socket', (i) => raw.add(i, 1000), 1, true);
  raw.socket.end();

  const nativePort = await waitForPort('native');
  const socket = connect({ port: nativePort, host: '127.0.0.1' });
  socket.pause(); // the C loop reads this socket, not Node
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.setNoDelay(true);
  lab.note(
    `native loop: ${calls} round trips of ${RAW_REQUEST_BYTES} bytes each way, write() then read() in C, the server the same: the trip alone (pingLoop, main/native/measure-loops.c)`,
  );
  try {
    const loop = tracedLoop(lab, 'write', 'native', 2 * calls * RAW_REQUEST_BYTES, () => pingLoop(socket, socket, calls, RAW_REQUEST_BYTES));
    lab.measure('native loop: p90', Math.round(loop.roundTripNs!.p90), 'ns');
    lab.measure(
      'native loop: median',
      Math.round(loop.roundTripNs!.p50),
      'ns',
      `per round trip of ${calls} in C; 90% took at most ${Math.round(loop.roundTripNs!.p90)} ns`,
    );
  } catch {
    // its io.error is in the trace; the figure is missing
  }
  socket.end();

  const client = await connectClient(CALC, { port: calcPort, semantics: 'at-least-once', tracer: lab, timeoutMs: 5000, traceBytes: false, traceCalls: false });
  // One call traced in full, to see what each of the others carries.
  const traced = await connectClient(CALC, { port: calcPort, semantics: 'at-least-once', tracer: lab, timeoutMs: 5000 });
  await traced.stub.add({ a: 2, b: 3 });
  await traced.close();
  await timed('rpc', (i) => client.stub.add({ a: i, b: 1000 }), 1, true);
  await client.close();
} finally {
  server.kill('SIGTERM');
  await server.exited;
}
