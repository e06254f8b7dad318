/**
 * Shared memory against an ordinary pipe, between two real processes: does "shared memory suits large
 * transfers" hold for what the lab gives students?
 *
 *   a. Throughput: 1 GiB in 64 KiB chunks from this process to a child, through the lab's ring buffer
 *      (main/runtime/shared-memory/ring-buffer.ts: 32 slots of 64 KiB (2 MiB) in a POSIX segment, put/getInto)
 *      and through a pipe(2) from the addon, driven two ways: with blocking writeSync/readSync (the fastest
 *      Node can drive a pipe), and through Node streams (net.Socket on each end, write() with 'drain' here,
 *      'data' events reassembled into chunks in the child: how Node programs usually use a pipe, and how
 *      the prototype's "~1.0 GB/s over child stdio" was measured). All make two copies per chunk: into
 *      and out of the segment, or into and out of the kernel. Runs alternate (ring, pipe, pipe through
 *      streams, ring...) so all see the same machine. Every chunk is checked by the consumer (see
 *      shm/payload.ts).
 *   b. Round-trip latency of a small message: futex ping-pong on one word of a segment against two pipes
 *      with 64-byte messages, timed in this process (the one that starts each round).
 *
 * The child programs are in shm/; each writes `ready` before the clock starts, so process start-up is not
 * measured. Segments are named /ipc-lab-bench-<pid>-<n> and unlinked in `finally`; at the end the section
 * checks that /dev/shm holds none of them and that none of its children is left.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, readdirSync, readSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { native } from '../../main/native/index.js';
import { RingBuffer } from '../../main/runtime/shared-memory/ring-buffer.js';
import { SharedSegment } from '../../main/runtime/shared-memory/shared-segment.js';
import { fixed, median, nanosToMillisLossy, percentile, table, thousands, megabytesPerSecond as mbps, micros as us, spread } from './bench-stats.js';

const OF_MEDIAN = ' of the median';
import { FUTEX_STOP, FUTEX_WORD, patterns, stampChunk, type ChunkReport } from './shm/payload.js';
import { WaitCounter } from './shm/wait-counter.js';
import { ChildLauncher, type BenchChild } from './bench-children.js';

/** The ring buffer should move bulk data at least this many times as fast as the pipe. */
export const RING_OVER_PIPE_TARGET = 3;

export interface SharedMemoryParams {
  /** Bytes per throughput run (default 1 GiB). */
  totalBytes: number;
  chunkBytes: number;
  slots: number;
  /** Throughput runs of each transport. */
  repeats: number;
  /** Measured round trips per latency run (after warmUp ones). */
  roundTrips: number;
  warmUp: number;
  /** Latency runs of each transport. */
  latencyRepeats: number;
  messageBytes: number;
}

export const DEFAULT_SHM_PARAMS: SharedMemoryParams = {
  totalBytes: 2 ** 30,
  chunkBytes: 64 * 1024,
  slots: 32,
  repeats: 5,
  roundTrips: 20_000,
  warmUp: 2_000,
  latencyRepeats: 3,
  messageBytes: 64,
};

const PROGRAMS = fileURLToPath(new URL('./shm/', import.meta.url));
/** How long any side waits for the other before it calls the run broken. */
const STALL_MS = 10_000;

let segmentCount = 0;
const segmentPrefix = `ipc-lab-bench-${process.pid}-`;

function segmentName(): string {
  return `/${segmentPrefix}${++segmentCount}`;
}

// ---------------------------------------------------------------------------------------------------
// Child processes: `ready`, then one JSON line, then exit.

type Child = BenchChild;
const launcher = new ChildLauncher(PROGRAMS, STALL_MS);
const startChild = (program: string, args: string[], extraFds: number[] = []): Child => launcher.start(program, args, extraFds);
const settle = (child: Child): Promise<unknown> => launcher.settle(child);

// ---------------------------------------------------------------------------------------------------
// a. Throughput

export interface ThroughputRun {
  transport: 'ring buffer' | 'pipe' | 'pipe, Node streams';
  /** What the table calls the run: its number, or where it ran. */
  label?: string;
  bytes: number;
  chunks: number;
  /** From the producer's first put/write to the consumer's last chunk checked. */
  elapsedNs: bigint;
  bytesPerSecond: number;
  producerCpuMs: number;
  consumerCpuMs: number;
  /** Blocking episodes (the ring buffer: by channel, per side). */
  producerWaits: Record<string, number>;
  consumerWaits: Record<string, number>;
  /** Pipe: read(2) calls the consumer made (through Node streams: 'data' events it got). */
  reads?: number;
  verified: number;
  compared: number;
  problems: string[];
}

interface ConsumerReport extends ChunkReport {
  firstNs: string;
  lastNs: string;
  cpuMs: number;
  waits?: Record<string, number>;
  reads?: number;
}

function throughputRun(
  transport: ThroughputRun['transport'],
  params: SharedMemoryParams,
  startNs: bigint,
  producerCpuMs: number,
  producerWaits: Record<string, number>,
  report: ConsumerReport,
  problems: string[],
): ThroughputRun {
  const chunks = params.totalBytes / params.chunkBytes;
  const elapsedNs = BigInt(report.lastNs) - startNs;
  if (report.verified !== chunks) problems.push(`${chunks - report.verified} of ${chunks} chunks not verified`);
  problems.push(...report.problems);
  if (report.problemCount > report.problems.length) problems.push(`and ${report.problemCount - report.problems.length} more`);
  return {
    transport,
    bytes: report.verified * params.chunkBytes,
    chunks,
    elapsedNs,
    bytesPerSecond: (report.verified * params.chunkBytes) / (Number(elapsedNs) / 1e9),
    producerCpuMs,
    consumerCpuMs: report.cpuMs,
    producerWaits,
    consumerWaits: report.waits ?? {},
    ...(report.reads === undefined ? {} : { reads: report.reads }),
    verified: report.verified,
    compared: report.compared,
    problems,
  };
}

export async function ringThroughput(params: SharedMemoryParams): Promise<ThroughputRun> {
  const chunks = params.totalBytes / params.chunkBytes;
  const name = segmentName();
  const segment = SharedSegment.create(name, RingBuffer.bytesFor(params.slots, params.chunkBytes));
  try {
    const waits = new WaitCounter();
    const ring = RingBuffer.create(segment, { slots: params.slots, slotBytes: params.chunkBytes, bounded: true, tracer: waits, channel: 'ring' });
    const child = startChild('ring-consumer.js', [name, String(chunks), String(params.chunkBytes)]);
    const problems: string[] = [];
    try {
      await child.ready;
      const pool = patterns(params.chunkBytes);
      const cpu = process.cpuUsage();
      const startNs = process.hrtime.bigint();
      try {
        for (let i = 0; i < chunks; i++) ring.put(stampChunk(pool, i), STALL_MS);
      } catch (error) {
        problems.push(`producer: ${(error as Error).message}`);
      }
      const used = process.cpuUsage(cpu);
      const report = (await settle(child)) as ConsumerReport;
      if (ring.used !== 0) problems.push(`${ring.used} items left in the ring`);
      return throughputRun('ring buffer', params, startNs, (used.user + used.system) / 1000, waits.counts, report, problems);
    } finally {
      child.process.kill('SIGKILL'); // no-op if it has exited; otherwise it must not outlive the run
      await settle(child).catch(() => {});
    }
  } finally {
    segment.detach();
    segment.unlink();
  }
}

/** A real pipe(2) whose read end a child consumer gets at fd 3; this process keeps only the write end. */
function startPipeConsumer(program: string, chunks: number, chunkBytes: number): { child: Child; writeFd: number } {
  const { readFd, writeFd } = native().pipe();
  try {
    return { child: startChild(program, [String(chunks), String(chunkBytes)], [readFd]), writeFd };
  } catch (error) {
    closeSync(writeFd);
    throw error;
  } finally {
    closeSync(readFd); // the child has its own copy (fd 3); ours would keep the pipe open for reading
  }
}

export async function pipeThroughput(params: SharedMemoryParams): Promise<ThroughputRun> {
  const chunks = params.totalBytes / params.chunkBytes;
  const { child, writeFd } = startPipeConsumer('pipe-consumer.js', chunks, params.chunkBytes);
  const problems: string[] = [];
  try {
    let startNs = 0n;
    let used: NodeJS.CpuUsage;
    try {
      await child.ready;
      const pool = patterns(params.chunkBytes);
      const cpu = process.cpuUsage();
      startNs = process.hrtime.bigint();
      try {
        for (let i = 0; i < chunks; i++) {
          const chunk = stampChunk(pool, i);
          for (let written = 0; written < chunk.length;) written += writeSync(writeFd, chunk, written, chunk.length - written);
        }
      } catch (error) {
        problems.push(`producer: ${(error as Error).message}`);
      }
      used = process.cpuUsage(cpu);
    } finally {
      closeSync(writeFd); // end of file for the consumer
    }
    const report = (await settle(child)) as ConsumerReport;
    return throughputRun('pipe', params, startNs, (used.user + used.system) / 1000, {}, report, problems);
  } finally {
    child.process.kill('SIGKILL');
    await settle(child).catch(() => {});
  }
}

/**
 * The same pipe(2) as pipeThroughput, used the way Node programs usually use one: the write end wrapped in
 * a net.Socket here (libuv makes it non-blocking), write() honouring back-pressure (false: wait for
 * 'drain'), and a net.Socket with 'data' events in the child (shm/pipe-stream-consumer.ts).
 *
 * stampChunk reuses PATTERNS buffers, so a chunk must have left the stream's queue before its buffer is
 * stamped again: waiting for 'drain' whenever write() returns false keeps at most the high-water mark
 * (16 KiB by default, so in practice every 64 KiB write waits) queued, far less than PATTERNS chunks.
 */
export async function pipeStreamThroughput(params: SharedMemoryParams): Promise<ThroughputRun> {
  const chunks = params.totalBytes / params.chunkBytes;
  const { child, writeFd } = startPipeConsumer('pipe-stream-consumer.js', chunks, params.chunkBytes);
  // From here the socket owns writeFd: it closes it (end() or destroy()), never closeSync.
  const socket = new Socket({ fd: writeFd, readable: false, writable: true });
  let failure: Error | undefined;
  socket.on('error', (error) => {
    failure ??= error;
  });
  /** Resolves on 'drain' (or 'finish'), rejects on an error, on close, or after STALL_MS without it. */
  const waitFor = (event: 'drain' | 'finish') =>
    new Promise<void>((resolve, reject) => {
      if (failure) return reject(failure);
      const done = (error?: Error) => {
        clearTimeout(timer);
        socket.off(event, onEvent);
        socket.off('error', onError);
        socket.off('close', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onEvent = () => done();
      const onError = (error: Error) => done(error);
      const onClose = () => done(failure ?? new Error(`the pipe closed before '${event}'`));
      const timer = setTimeout(() => done(new Error(`no '${event}' for ${STALL_MS} ms`)), STALL_MS);
      socket.on(event, onEvent);
      socket.on('error', onError);
      socket.on('close', onClose);
    });
  const problems: string[] = [];
  try {
    let startNs = 0n;
    let used: NodeJS.CpuUsage;
    try {
      await child.ready;
      const pool = patterns(params.chunkBytes);
      const cpu = process.cpuUsage();
      startNs = process.hrtime.bigint();
      try {
        for (let i = 0; i < chunks; i++) {
          if (!socket.write(stampChunk(pool, i))) await waitFor('drain');
        }
        const finished = waitFor('finish');
        socket.end(); // end of file for the consumer, once everything queued is written
        await finished;
      } catch (error) {
        problems.push(`producer: ${(error as Error).message}`);
      }
      used = process.cpuUsage(cpu);
    } finally {
      socket.destroy(); // closes writeFd (no-op if end() already did)
    }
    const report = (await settle(child)) as ConsumerReport;
    return throughputRun('pipe, Node streams', params, startNs, (used.user + used.system) / 1000, {}, report, problems);
  } finally {
    socket.destroy();
    child.process.kill('SIGKILL');
    await settle(child).catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------------
// b. Round-trip latency

export interface LatencyRun {
  transport: 'futex' | 'pipe';
  /** Round-trip times in ns, measured round trips only. */
  samples: number[];
  /** Round trips the answering side counted (warm-up included). */
  answered: number;
  problems: string[];
}

interface PongReport {
  rounds: number;
  problems: string[];
}

export async function futexPingPong(params: SharedMemoryParams): Promise<LatencyRun> {
  const total = params.warmUp + params.roundTrips;
  const name = segmentName();
  const segment = SharedSegment.create(name, 4096);
  try {
    const child = startChild('futex-pong.js', [name]);
    const samples: number[] = [];
    const problems: string[] = [];
    try {
      await child.ready;
      try {
        for (let k = 0; k < total; k++) {
          const ping = 2 * k + 1;
          const started = process.hrtime.bigint();
          segment.store(FUTEX_WORD, ping);
          segment.wake(FUTEX_WORD, 1);
          for (let value; (value = segment.load(FUTEX_WORD)) !== ping + 1;) {
            if (value !== ping) throw new Error(`round ${k}: found ${value}, expected ${ping} or ${ping + 1}`);
            if (segment.wait(FUTEX_WORD, ping, STALL_MS) === 'timed-out') throw new Error(`round ${k}: no answer for ${STALL_MS} ms`);
          }
          if (k >= params.warmUp) samples.push(Number(process.hrtime.bigint() - started));
        }
      } catch (error) {
        problems.push(`initiator: ${(error as Error).message}`);
      }
      segment.store(FUTEX_WORD, FUTEX_STOP);
      segment.wake(FUTEX_WORD, 1);
      const report = (await settle(child)) as PongReport;
      problems.push(...report.problems);
      if (report.rounds !== total) problems.push(`the answering side counted ${report.rounds} round trips, not ${total}`);
      return { transport: 'futex', samples, answered: report.rounds, problems };
    } finally {
      child.process.kill('SIGKILL');
      await settle(child).catch(() => {});
    }
  } finally {
    segment.detach();
    segment.unlink();
  }
}

export async function pipePingPong(params: SharedMemoryParams): Promise<LatencyRun> {
  const total = params.warmUp + params.roundTrips;
  const ping = native().pipe();
  const pong = native().pipe();
  let child: Child;
  try {
    child = startChild('pipe-pong.js', [String(params.messageBytes)], [ping.readFd, pong.writeFd]);
  } catch (error) {
    closeSync(ping.writeFd);
    closeSync(pong.readFd);
    throw error;
  } finally {
    closeSync(ping.readFd);
    closeSync(pong.writeFd);
  }
  const samples: number[] = [];
  const problems: string[] = [];
  const message = Buffer.alloc(params.messageBytes, 0x5a);
  const answer = Buffer.alloc(params.messageBytes);
  try {
    try {
      await child.ready;
      for (let k = 0; k < total; k++) {
        message.writeUInt32LE(k, 0);
        const started = process.hrtime.bigint();
        for (let written = 0; written < message.length;) written += writeSync(ping.writeFd, message, written, message.length - written);
        for (let filled = 0; filled < answer.length;) {
          const n = readSync(pong.readFd, answer, filled, answer.length - filled, null);
          if (n === 0) throw new Error(`round ${k}: end of file (the answering side is gone)`);
          filled += n;
        }
        if (k >= params.warmUp) samples.push(Number(process.hrtime.bigint() - started));
        if (!answer.equals(message)) throw new Error(`round ${k}: the answer differs from the message`);
      }
    } catch (error) {
      problems.push(`initiator: ${(error as Error).message}`);
    } finally {
      closeSync(ping.writeFd); // end of file: the answering side reports and exits
    }
    const report = (await settle(child)) as PongReport;
    problems.push(...report.problems);
    if (report.rounds !== total) problems.push(`the answering side counted ${report.rounds} round trips, not ${total}`);
    return { transport: 'pipe', samples, answered: report.rounds, problems };
  } finally {
    closeSync(pong.readFd);
    child.process.kill('SIGKILL');
    await settle(child).catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------------
// Placement

/**
 * Runs fn with this process's main thread, and so every child it spawns meanwhile, on CPU 0 only
 * (taskset), then restores its affinity. Undefined when taskset is missing or there is one CPU.
 */
async function onOneCore<T>(fn: () => Promise<T>): Promise<T | undefined> {
  const pid = String(process.pid);
  let mask: string;
  try {
    mask = execFileSync('taskset', ['-p', pid], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split(' ')
      .pop()!;
    if (/^0*1$/.test(mask)) return undefined; // already one CPU: nothing to compare
    execFileSync('taskset', ['-p', '-c', '0', pid], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  try {
    return await fn();
  } finally {
    execFileSync('taskset', ['-p', mask, pid], { stdio: 'ignore' });
  }
}

// ---------------------------------------------------------------------------------------------------
// Leftovers

/** Segments of this process still in /dev/shm, and children still alive (or unreaped). */
export function leftovers(): { segments: string[]; processes: number[] } {
  const segments = existsSync('/dev/shm') ? readdirSync('/dev/shm').filter((n) => n.startsWith(segmentPrefix)) : [];
  const processes = [...launcher.pids].filter((pid) => existsSync(`/proc/${pid}`));
  return { segments, processes };
}

// ---------------------------------------------------------------------------------------------------
// The section

const waitsText = (waits: Record<string, number>) =>
  Object.entries(waits)
    .map(([channel, n]) => `${channel.replace(/^ring: /, '')} ${thousands(n)}`)
    .join(', ') || '-';

export async function sharedMemorySection(number: number, params: SharedMemoryParams = DEFAULT_SHM_PARAMS): Promise<boolean> {
  const chunks = params.totalBytes / params.chunkBytes;
  if (!Number.isInteger(chunks)) throw new RangeError(`${params.totalBytes} bytes are not a whole number of ${params.chunkBytes}-byte chunks`);
  const gib = fixed(params.totalBytes / 2 ** 30, 2).replace(/\.00$/, '');
  let ok = true;

  console.log(`${number}. Shared memory vs a pipe, between this process and a child process`);
  console.log('');
  console.log(`   a. Throughput: ${gib} GiB in ${params.chunkBytes / 1024} KiB chunks (${thousands(chunks)}), ${params.repeats} runs of each, alternating.`);
  console.log(`      ring buffer: ${params.slots} slots x ${params.chunkBytes / 1024} KiB in a POSIX segment, bounded; put() here, getInto() in the child`);
  console.log('      pipe: pipe(2) from the addon (blocking, default capacity), writeSync() here, readSync() of one chunk in the child');
  console.log("      pipe, Node streams: the same kind of pipe(2), net.Socket on each end: write() here waiting for 'drain' when it");
  console.log("        returns false; 'data' events in the child (reads = 'data' events), reassembled into chunks");
  console.log('      Rate = bytes / time from the first put/write (here) to the last chunk checked by the child (same CLOCK_MONOTONIC).');
  console.log('      Every chunk is checked for its length, index (order, none lost or repeated) and a sample word; every');
  console.log('      61st and the last are compared byte for byte.');
  console.log('');
  const runs: ThroughputRun[] = [];
  for (let i = 1; i <= params.repeats; i++) {
    for (const measure of [ringThroughput, pipeThroughput, pipeStreamThroughput]) {
      const run = { ...(await measure(params)), label: String(i) };
      runs.push(run);
      process.stdout.write(`      run ${i}/${params.repeats} ${run.transport}: ${mbps(run.bytesPerSecond)}${run.problems.length ? ' PROBLEM' : ''}\n`);
    }
  }
  // Where the two processes run matters: once more with both forced onto one core (no parallel copies).
  const pinned = await onOneCore(async () => [
    { ...(await ringThroughput(params)), label: '1 core' },
    { ...(await pipeThroughput(params)), label: '1 core' },
    { ...(await pipeStreamThroughput(params)), label: '1 core' },
  ]);
  const allRuns = [...runs, ...(pinned ?? [])];
  console.log('');
  console.log(
    table(
      ['run', 'transport', 'verified', 'time', 'rate', 'producer CPU', 'consumer CPU', 'producer waited for', 'consumer waited for', 'reads'],
      allRuns.map((r) => [
        r.label ?? '',
        r.transport,
        `${thousands(r.verified)}/${thousands(r.chunks)}`,
        thousands(nanosToMillisLossy(r.elapsedNs)) + ' ms',
        mbps(r.bytesPerSecond),
        thousands(r.producerCpuMs) + ' ms',
        thousands(r.consumerCpuMs) + ' ms',
        waitsText(r.producerWaits),
        waitsText(r.consumerWaits),
        r.reads === undefined ? '-' : thousands(r.reads),
      ]),
    ).replace(/^/gm, '   '),
  );
  const rates = (transport: ThroughputRun['transport']) => runs.filter((r) => r.transport === transport).map((r) => r.bytesPerSecond);
  const ring = rates('ring buffer');
  const pipe = rates('pipe');
  const streams = rates('pipe, Node streams');
  const ratio = median(ring) / median(pipe);
  const streamsRatio = median(ring) / median(streams);
  const verdict = (r: number) => `target >= ${RING_OVER_PIPE_TARGET}x: ${r >= RING_OVER_PIPE_TARGET ? 'MET' : 'NOT MET'}`;
  console.log('');
  console.log(`      ring buffer:                    ${spread(ring, mbps, OF_MEDIAN)}`);
  console.log(`      pipe (blocking read/write):     ${spread(pipe, mbps, OF_MEDIAN)}`);
  console.log(`      pipe (Node streams):            ${spread(streams, mbps, OF_MEDIAN)}`);
  console.log(`      ring/pipe per run (blocking):     ${ring.map((r, i) => fixed(r / pipe[i]!, 2)).join(', ')}`);
  console.log(`      ring/pipe per run (Node streams): ${ring.map((r, i) => fixed(r / streams[i]!, 2)).join(', ')}`);
  console.log('      ratios of the medians:');
  console.log(`      ring/pipe (blocking read/write): ${fixed(ratio, 2)}x   ${verdict(ratio)}`);
  console.log(`      ring/pipe (Node streams, like the prototype's child stdio): ${fixed(streamsRatio, 2)}x   ${verdict(streamsRatio)}`);
  console.log('      The blocking pipe is the fastest way Node can drive a pipe (the strict baseline); the Node-streams pipe is');
  console.log("      how Node programs usually use one, and what the prototype's ~4.9 vs ~1.0 GB/s (child stdio) compared against.");
  if (pinned) {
    const [ringPinned, pipePinned, streamsPinned] = pinned.map((r) => r.bytesPerSecond) as [number, number, number];
    console.log(
      `      both processes on one core (taskset, not counted above): ring/pipe ${fixed(ringPinned / pipePinned, 2)}x (blocking), ${fixed(ringPinned / streamsPinned, 2)}x (Node streams)`,
    );
  } else {
    console.log('      one-core comparison skipped (no taskset, or this process may use one CPU only)');
  }
  for (const r of allRuns) {
    if (r.problems.length === 0) continue;
    ok = false;
    console.log(`      run ${r.label} ${r.transport}: PROBLEM: ${r.problems.join('; ')}`);
  }
  if (ok)
    console.log(
      `      lost: 0, out of order: 0, corrupted: 0, in all ${allRuns.length} runs (${thousands(allRuns.reduce((n, r) => n + r.compared, 0))} chunks compared in full)`,
    );
  console.log('');

  console.log(
    `   b. Round trip of a small message: ${thousands(params.roundTrips)} round trips after ${thousands(params.warmUp)} warm-up ones, ${params.latencyRepeats} runs of each, alternating.`,
  );
  console.log('      futex: one word of a segment; here store 2k+1 + FUTEX_WAKE, then FUTEX_WAIT until the child has stored 2k+2');
  console.log(`      pipe: two pipe(2)s, ${params.messageBytes}-byte messages, writeSync/readSync on both sides; the child echoes each one`);
  console.log('      Timed here with process.hrtime.bigint() around each round trip.');
  console.log('');
  const pings: LatencyRun[] = [];
  for (let i = 1; i <= params.latencyRepeats; i++) {
    for (const measure of [futexPingPong, pipePingPong]) pings.push(await measure(params));
  }
  console.log(
    table(
      ['run', 'transport', 'round trips', 'p50', 'p90', 'p99', 'max'],
      pings.map((r, i) => [
        String((i >> 1) + 1),
        r.transport,
        `${thousands(r.samples.length)}/${thousands(params.roundTrips)}`,
        us(percentile(r.samples, 50)),
        us(percentile(r.samples, 90)),
        us(percentile(r.samples, 99)),
        us(Math.max(...r.samples)),
      ]),
    ).replace(/^/gm, '   '),
  );
  const p = (transport: LatencyRun['transport'], q: number) => pings.filter((r) => r.transport === transport).map((r) => percentile(r.samples, q));
  console.log('');
  console.log(`      futex p50: ${spread(p('futex', 50), us, OF_MEDIAN)}; p99 median ${us(median(p('futex', 99)))}`);
  console.log(`      pipe p50:  ${spread(p('pipe', 50), us, OF_MEDIAN)}; p99 median ${us(median(p('pipe', 99)))}`);
  console.log(`      pipe/futex (median p50): ${fixed(median(p('pipe', 50)) / median(p('futex', 50)), 2)}x`);
  let pingsOk = true;
  for (const [i, r] of pings.entries()) {
    if (r.problems.length === 0) continue;
    pingsOk = false;
    console.log(`      run ${(i >> 1) + 1} ${r.transport}: PROBLEM: ${r.problems.join('; ')}`);
  }
  if (pingsOk) console.log(`      every round trip answered, in order, in all ${pings.length} runs`);
  ok &&= pingsOk;

  const left = leftovers();
  if (left.segments.length > 0 || left.processes.length > 0) {
    ok = false;
    console.log(`      PROBLEM: left behind: segments ${left.segments.join(', ') || 'none'}; processes ${left.processes.join(', ') || 'none'}`);
  } else {
    console.log(`      left behind: no segment in /dev/shm (${segmentCount} created), no child process (${launcher.pids.size} started)`);
  }
  console.log('');
  return ok;
}
