/**
 * Figures for issue 13's engine part: how fast a 1M-event run is stored with its trace summaries, and
 * how long trace.window (full span, 1 ms zoom), trace.events pages and trace.find take on it. A
 * standalone script (not part of run-benchmarks.ts): `npx tsx test/bench/trace-window.ts [events]`.
 * The run is synthetic but shaped like the pipes lab's: a writer and a reader over ~10 s, io.begin and
 * io.end around every call (one in 50 blocking over a millisecond), a message per write, a buffer level
 * per read. Prints medians with their spread over REPEATS queries at spread-out places.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStore, type EventRow } from '../../main/engine/event-store.js';

const EVENTS = Number(process.argv[2] ?? 1_000_000);
const BATCH = 10_000;
const REPEATS = Number(process.env.REPEATS ?? 15);
const START = 1_000_000_000_000n;
const SPAN_NS = 10_000_000_000;

function syntheticRun(store: EventStore, runId: number): number {
  let seq = 0;
  let batch: EventRow[] = [];
  let insertMs = 0;
  const push = (t: number, pid: number, role: string, kind: string, fields: object) => {
    const ts = String(START + BigInt(Math.round(t)));
    batch.push({ seq: ++seq, ts, pid, kind, data: JSON.stringify({ v: 1, ts, pid, role, kind, ...fields }) });
    if (batch.length === BATCH) flush();
  };
  const flush = () => {
    const t0 = performance.now();
    store.insertEvents(runId, batch);
    insertMs += performance.now() - t0;
    batch = [];
  };
  const rounds = Math.floor(EVENTS / 8);
  const step = SPAN_NS / rounds;
  for (let i = 0; i < rounds; i++) {
    const t = i * step;
    const blocked = i % 50 === 0 ? 1_500_000 : 2_000;
    push(t, 100, 'parent', 'io.begin', { op: 'write', channel: 'pipe', bytes: 4096 });
    push(t + blocked, 100, 'parent', 'io.end', { op: 'write', channel: 'pipe', bytes: 4096, durationNs: String(blocked) });
    push(t + blocked + 1, 100, 'parent', 'message.send', { channel: 'pipe', messageId: i + 1, bytes: 4096 });
    push(t + 10, 200, 'child', 'io.begin', { op: 'read', channel: 'pipe' });
    push(t + blocked + 50, 200, 'child', 'io.end', { op: 'read', channel: 'pipe', bytes: 4096, durationNs: String(blocked + 40) });
    push(t + blocked + 60, 200, 'child', 'message.receive', { channel: 'pipe', messageId: i + 1, bytes: 4096 });
    push(t + blocked + 70, 200, 'child', 'buffer.level', { channel: 'pipe buffer', used: (i * 7) % 17, capacity: 16 });
    push(t + blocked + 80, 100, 'parent', 'note', { text: `round ${i}` });
  }
  if (batch.length > 0) flush();
  return insertMs;
}

function timed(label: string, repeat: (i: number) => unknown): void {
  const ms: number[] = [];
  const cpuMs: number[] = [];
  let last: unknown;
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    last = repeat(i);
    const cpu = process.cpuUsage(c0);
    ms.push(performance.now() - t0);
    cpuMs.push((cpu.user + cpu.system) / 1000);
  }
  ms.sort((a, b) => a - b);
  cpuMs.sort((a, b) => a - b);
  const size = Buffer.byteLength(JSON.stringify(last));
  // CPU time too: on a shared machine it moves less with the load than the wall clock does.
  console.log(
    `${label.padEnd(52)} median ${ms[REPEATS >> 1]!.toFixed(1).padStart(7)} ms  (min ${ms[0]!.toFixed(1)}, max ${ms[REPEATS - 1]!.toFixed(1)})  ` +
      `CPU ${cpuMs[REPEATS >> 1]!.toFixed(1)} ms  answer ${(size / 1024).toFixed(0)} KiB`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-bench-window-'));
try {
  const store = EventStore.open(dir);
  const runFacts = { labVersion: 'a'.repeat(64), machine: { os: 'Linux', kernel: '', arch: 'x64', cores: 2, bootId: 'bench' } };
  const runId = store.createRun({
    sessionId: store.createSession('bench'),
    labId: 'bench',
    stepId: null,
    scenarioId: 'x',
    params: {},
    startTs: START,
    ...runFacts,
  });
  const cpu0 = process.cpuUsage();
  const insertMs = syntheticRun(store, runId);
  const insertCpu = process.cpuUsage(cpu0);
  const stored = store.eventCount(runId);
  const cpuSeconds = (insertCpu.user + insertCpu.system) / 1e6;
  console.log(
    `stored ${stored} events with summaries in ${(insertMs / 1000).toFixed(1)} s: ${Math.round(stored / (insertMs / 1000))} events/s ` +
      `(${Math.round(stored / cpuSeconds)} per CPU-second, generating them included; batches of ${BATCH})`,
  );
  const place = (i: number) => Math.floor(((i + 0.5) / REPEATS) * (SPAN_NS - 2_000_000));
  timed('trace.window full span, 1600 px', () => store.traceWindow(runId, 0, SPAN_NS, 1600));
  timed('trace.window full span, 8192 px', () => store.traceWindow(runId, 0, SPAN_NS, 8192));
  timed('trace.window 100 ms, 1600 px', (i) => store.traceWindow(runId, place(i), place(i) + 100_000_000, 1600));
  timed('trace.window 1 ms, 1600 px', (i) => store.traceWindow(runId, place(i), place(i) + 1_000_000, 1600));
  const page = (from: { seq: number } | { ts: number } | { index: number }, filter = {}) =>
    store.traceEvents({ runId, from, direction: 'forward', limit: 200, filter }, 2 * 1024 * 1024);
  timed('trace.events 200 from a ts (unfiltered)', (i) => page({ ts: place(i) }));
  timed('trace.events 200 from an index (unfiltered)', (i) => page({ index: Math.floor((i / REPEATS) * stored) }));
  timed('trace.events 200 from a ts, kinds [message.send]', (i) => page({ ts: place(i) }, { kinds: ['message.send'] }));
  timed('trace.events 200 from a ts, pid 200', (i) => page({ ts: place(i) }, { pids: [200] }));
  timed('trace.events 200 from a ts, text "round 4"', (i) => page({ ts: place(i) }, { text: 'round 4' }));
  timed('trace.find next note of pid 100', (i) => store.traceFind({ runId, ts: place(i), kind: 'note', pid: 100, direction: 'next' }));
  timed('trace.find next kind absent from the run', (i) => store.traceFind({ runId, ts: place(i), kind: 'rpc.call', direction: 'next' }));
  store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
