/**
 * What the kernel costs and what the language costs: for each mechanism (pipe, FIFO, Unix socket, TCP
 * loopback, shared-memory ring, POSIX mq), bulk throughput and 64 B round trips measured three ways
 * in the same run, repetition by repetition so that all three see the same machine:
 *
 *   a. plain C: test/bench/native-vs-c/plain-loops.c, built here with `cc -O2` into a temporary
 *      directory; one process fork()s, no Node anywhere.
 *   b. in-app native: two Node processes (native-vs-c/loop-child.ts), each calling one loop of
 *      main/runtime/native-loops.ts (main/native/measure-loops.c) on an object this process made.
 *   c. Node TypeScript: the loops sections 3 to 5 already measure (reused, their own framing and checks).
 *
 * Bulk rate = bytes / (reader's last read - writer's first write), both CLOCK_MONOTONIC. Round trip =
 * the ping side's p50. Both processes of a and b run pinned to one CPU (PINNED_CPU, sched_setaffinity(2)
 * in plain-loops.c, taskset(1) for the Node children): left free, the scheduler sometimes puts the two
 * sides on one CPU and sometimes on two, and a wake-up across CPUs costs this virtual machine 8-12 µs
 * more per round trip (plain C, measured here: pipe p50 9-11 µs on one CPU, 17-23 µs across two), which
 * decided the ratio more than the code did. The figure to watch is native/C: the in-app loop should
 * be within 20 % of plain C (then the app's native figures are the kernel's). Ratios between mechanisms are printed per column:
 * Node's per-message cost shrinks the kernel's differences. Figures only, never pass/fail: on a shared
 * 2-core machine they move; the spread says how much.
 */
import { execFile } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { native } from '../../main/native/index.js';
import { findProjectRoot } from '../../main/project-root.js';
import { RingBuffer } from '../../main/runtime/shared-memory/ring-buffer.js';
import { SharedSegment } from '../../main/runtime/shared-memory/shared-segment.js';
import { ChildLauncher, type PairMember } from './bench-children.js';
import { fixed, median, table, thousands } from './bench-stats.js';
import { DEFAULT_MESSAGES_PARAMS, messagePingPong, messageThroughput } from './messages-fifos.js';
import { DEFAULT_SHM_PARAMS, pipePingPong, pipeThroughput, ringThroughput } from './shared-memory.js';
import { DEFAULT_SOCKETS_PARAMS, socketPingPong, socketThroughput } from './sockets.js';

const run = promisify(execFile);

export interface NativeVsCParams {
  /** Bytes per bulk run, in chunks of chunkBytes (POSIX mq: messages of mqMessageBytes). */
  bulkBytes: number;
  chunkBytes: number;
  /** mq messages are at most /proc/sys/fs/mqueue/msgsize_max (8192 here) for an ordinary user. */
  mqMessageBytes: number;
  roundTrips: number;
  messageBytes: number;
  repeats: number;
}

export const DEFAULT_NATIVE_VS_C_PARAMS: NativeVsCParams = {
  bulkBytes: 256 * 2 ** 20,
  chunkBytes: 64 * 1024,
  mqMessageBytes: 4096,
  roundTrips: 20_000,
  messageBytes: 64,
  repeats: 7,
};

const MECHANISMS = ['pipe', 'FIFO', 'Unix socket', 'TCP loopback', 'shm ring', 'POSIX mq'] as const;
type Mechanism = (typeof MECHANISMS)[number];
const PLAIN_NAME: Record<Mechanism, string> = {
  pipe: 'pipe',
  FIFO: 'fifo',
  'Unix socket': 'unix',
  'TCP loopback': 'tcp',
  'shm ring': 'ring',
  'POSIX mq': 'mq',
};
/** Where both sides of a and b run (the last CPU: the first gets more of the machine's interrupts). */
const PINNED_CPU = Math.max(0, availableParallelism() - 1);
/** The in-app native figure should be within this of plain C. */
const WITHIN = 0.2;
const STALL_MS = 30_000;
const SOURCE = join(findProjectRoot(), 'test', 'bench', 'native-vs-c', 'plain-loops.c');
const launcher = new ChildLauncher(fileURLToPath(new URL('./native-vs-c/', import.meta.url)), STALL_MS);
const prefix = `/ipc-lab-bench-${process.pid}-nvc-`;
let counter = 0;

interface Figures {
  bulk: number[];
  rtt: number[];
}
type Column = 'c' | 'app' | 'node';

interface LoopReport {
  startNs: string;
  endNs: string;
  bytes: number;
  roundTripNs?: { p50: number };
}

function sizeOf(mechanism: Mechanism, params: NativeVsCParams): number {
  return mechanism === 'POSIX mq' ? params.mqMessageBytes : params.chunkBytes;
}

// ---------------------------------------------------------------------------------------------------
// a. Plain C

async function plainC(binary: string, mechanism: Mechanism, mode: 'bulk' | 'rtt', params: NativeVsCParams): Promise<number> {
  const count = mode === 'bulk' ? params.bulkBytes : params.roundTrips;
  const size = mode === 'bulk' ? sizeOf(mechanism, params) : params.messageBytes;
  const cpus = [String(PINNED_CPU), String(PINNED_CPU)];
  const { stdout } = await run(binary, [PLAIN_NAME[mechanism], mode, String(count), String(size), ...cpus], { timeout: STALL_MS });
  const r = JSON.parse(stdout) as { startNs: string; endNs: string; bytes: number; p50: number };
  if (mode === 'rtt') return r.p50;
  if (r.bytes !== params.bulkBytes) throw new Error(`plain C ${mechanism}: the reader got ${r.bytes} of ${params.bulkBytes} bytes`);
  return r.bytes / (Number(BigInt(r.endNs) - BigInt(r.startNs)) / 1e9);
}

// ---------------------------------------------------------------------------------------------------
// b. In-app native: two Node processes, one loop each

/** A connected stream socket pair made here; Node never reads them (paused before any data moves). */
async function socketPair(tcp: boolean, dir: string): Promise<[Socket, Socket]> {
  const server = createServer({ pauseOnConnect: true });
  const path = join(dir, `s${++counter}.sock`);
  await new Promise<void>((resolve) => (tcp ? server.listen(0, '127.0.0.1', resolve) : server.listen(path, resolve)));
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const a = tcp ? connect((server.address() as { port: number }).port, '127.0.0.1') : connect(path);
  a.pause();
  await new Promise<void>((resolve) => a.once('connect', resolve));
  const b = await accepted;
  server.close(); // stops listening; its callback would wait for these connections to end
  for (const s of [a, b]) s.setNoDelay(true); // TCP_NODELAY, as the lab's sockets and plain-loops.c
  return [a, b];
}

const fdOfSocket = (socket: Socket): number => (socket as unknown as { _handle: { fd: number } })._handle.fd;

/** Sets up the object, runs reader (or pong) and writer (or ping, on the go byte); returns rate or p50. */
async function inApp(mechanism: Mechanism, mode: 'bulk' | 'rtt', params: NativeVsCParams, dir: string, problems: string[]): Promise<number> {
  const rtt = mode === 'rtt';
  const count = String(rtt ? params.roundTrips : params.bulkBytes);
  const size = String(rtt ? params.messageBytes : sizeOf(mechanism, params));
  const [receiverRole, senderRole] = rtt ? ['pong', 'ping'] : ['read', 'write'];
  const cleanups: (() => void)[] = [];
  // Descriptors: the receiver gets them from fd 3; the sender from fd 4 (3 is its go pipe).
  let receiver: Pick<PairMember, 'fds' | 'readyFirst'> & { object: string };
  let sender: Pick<PairMember, 'fds'> & { object: string };
  try {
    if (mechanism === 'pipe') {
      const there = native().pipe();
      const back = rtt ? native().pipe() : undefined;
      receiver = { object: rtt ? 'fd:3,4' : 'fd:3', fds: back ? [there.readFd, back.writeFd] : [there.readFd], readyFirst: true };
      sender = { object: rtt ? 'fd:4,5' : 'fd:4', fds: back ? [there.writeFd, back.readFd] : [there.writeFd] };
    } else if (mechanism === 'FIFO') {
      const there = join(dir, `there${++counter}`);
      const back = join(dir, `back${counter}`);
      native().mkfifo(there, 0o600);
      if (rtt) native().mkfifo(back, 0o600);
      cleanups.push(
        () => rmSync(there, { force: true }),
        () => rmSync(back, { force: true }),
      );
      const object = rtt ? `fifo:${there},${back}` : `fifo:${there}`;
      receiver = { object }; // both open by path: neither is ready until the other opens
      sender = { object };
    } else if (mechanism === 'Unix socket' || mechanism === 'TCP loopback') {
      const [a, b] = await socketPair(mechanism === 'TCP loopback', dir);
      cleanups.push(() => (a.destroy(), b.destroy()));
      receiver = { object: 'fd:3', fds: [fdOfSocket(b)], readyFirst: true };
      sender = { object: 'fd:4', fds: [fdOfSocket(a)] };
    } else if (mechanism === 'POSIX mq') {
      const names = [`${prefix}${++counter}`, `${prefix}${++counter}`];
      for (const name of names) {
        native().mqClose(native().mqOpen(name, { create: true, exclusive: true, maxMessages: 10, messageBytes: Number(size) }));
        cleanups.push(() => native().mqUnlink(name));
      }
      receiver = { object: `mq:${names[0]},${names[1]}`, readyFirst: true };
      sender = receiver;
    } else {
      const slotBytes = Number(size);
      const second = Math.ceil(RingBuffer.bytesFor(16, slotBytes) / 8) * 8;
      const segment = SharedSegment.create(`${prefix}${++counter}`, 2 * second);
      cleanups.push(() => (segment.unlink(), segment.detach()));
      RingBuffer.create(segment, { slots: 16, slotBytes });
      RingBuffer.create(segment, { slots: 16, slotBytes, offset: second });
      receiver = { object: `ring:${segment.name},${second}`, readyFirst: true };
      sender = receiver;
    }
    // Pipe ends made here are the children's now: close ours once they are spawned (sockets close in cleanups).
    const passed = mechanism === 'pipe' ? [...(receiver.fds ?? []), ...(sender.fds ?? [])] : [];
    const reports = await launcher.runPair(
      {
        program: 'loop-child.js',
        args: [receiverRole!, receiver.object, count, size],
        fds: receiver.fds ?? [],
        readyFirst: receiver.readyFirst ?? false,
        cpu: PINNED_CPU,
      },
      { program: 'loop-child.js', args: ['--go', senderRole!, sender.object, count, size], fds: sender.fds ?? [], takesGo: true, cpu: PINNED_CPU },
      problems,
      () => passed.forEach((fd) => closeSync(fd)),
    );
    if (!reports) return NaN;
    const [received, sent] = reports as [LoopReport, LoopReport];
    if (rtt) return sent.roundTripNs?.p50 ?? NaN;
    if (received.bytes !== params.bulkBytes) problems.push(`in-app ${mechanism}: the reader got ${received.bytes} of ${params.bulkBytes} bytes`);
    return received.bytes / (Number(BigInt(received.endNs) - BigInt(sent.startNs)) / 1e9);
  } finally {
    for (const cleanup of cleanups) cleanup();
  }
}

// ---------------------------------------------------------------------------------------------------
// c. The Node TypeScript loops of sections 3-5

async function nodeLoop(mechanism: Mechanism, mode: 'bulk' | 'rtt', params: NativeVsCParams, dir: string, problems: string[]): Promise<number> {
  const chunks = params.bulkBytes / sizeOf(mechanism, params);
  const shm = {
    ...DEFAULT_SHM_PARAMS,
    totalBytes: params.bulkBytes,
    chunkBytes: params.chunkBytes,
    slots: 16,
    roundTrips: params.roundTrips,
    warmUp: 1000,
    messageBytes: params.messageBytes,
  };
  const messages = { ...DEFAULT_MESSAGES_PARAMS, roundTrips: params.roundTrips, warmUp: 1000 };
  const sockets = { ...DEFAULT_SOCKETS_PARAMS, roundTrips: params.roundTrips, warmUp: 1000 };
  const note = (r: { problems: string[] }) => problems.push(...r.problems.map((p) => `Node ${mechanism}: ${p}`));
  const rate = (r: { bytesPerSecond: number; problems: string[] }) => (note(r), r.bytesPerSecond);
  const p50 = (r: { samples: number[]; problems: string[] }) => (note(r), median(r.samples));
  if (mode === 'bulk') {
    if (mechanism === 'pipe') return rate(await pipeThroughput(shm));
    if (mechanism === 'shm ring') return rate(await ringThroughput(shm));
    if (mechanism === 'FIFO') return rate(await messageThroughput('FIFO', params.chunkBytes, chunks, 10, dir, 'node'));
    if (mechanism === 'POSIX mq') return rate(await messageThroughput('mqueue', params.mqMessageBytes, chunks, 10, dir, 'node'));
    return rate(await socketThroughput(mechanism === 'Unix socket' ? 'unix' : 'tcp', params.chunkBytes, chunks, dir, 'node'));
  }
  if (mechanism === 'pipe') return p50(await pipePingPong(shm));
  if (mechanism === 'shm ring') return NaN; // section 3 times a bare futex word, not the ring: nothing to compare
  if (mechanism === 'FIFO') return p50(await messagePingPong('FIFO', params.messageBytes, messages, 10, dir, 'node'));
  if (mechanism === 'POSIX mq') return p50(await messagePingPong('mqueue', params.messageBytes, messages, 10, dir, 'node'));
  return p50(await socketPingPong(mechanism === 'Unix socket' ? 'unix' : 'tcp', params.messageBytes, sockets, dir, 'node'));
}

// ---------------------------------------------------------------------------------------------------
// The section

const mb = (bytesPerSecond: number) => thousands(bytesPerSecond / 1e6);
const us = (ns: number) => fixed(ns / 1000, 1);
/** 'median (min-max)'. */
function cell(values: number[], format: (v: number) => string): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return 'n/a';
  return `${format(median(finite))} (${format(Math.min(...finite))}-${format(Math.max(...finite))})`;
}
/**
 * b/a of one repetition after another (a and b of a repetition run back to back), then the median:
 * the machine's load drifts over minutes, and a ratio of figures taken seconds apart sees less of it.
 */
function pairedRatio(b: number[], a: number[]): number {
  return median(b.map((value, i) => value / a[i]!).filter(Number.isFinite));
}
function ratio(a: number[], b: number[]): number {
  return median(a.filter(Number.isFinite)) / median(b.filter(Number.isFinite));
}

export async function nativeVsCSection(number: number, params: NativeVsCParams = DEFAULT_NATIVE_VS_C_PARAMS): Promise<boolean> {
  console.log(`${number}. What the kernel costs and what the language costs: plain C, the app's native loops, the Node TypeScript loops`);
  console.log(
    `   bulk: ${params.bulkBytes / 2 ** 20} MiB in ${params.chunkBytes / 1024} KiB chunks (POSIX mq: ${params.mqMessageBytes / 1024} KiB messages, msgsize_max allows no more), MB/s;` +
      ` round trips: ${params.messageBytes} B x ${thousands(params.roundTrips)}, p50 in µs. ${params.repeats} repetitions: median (min-max).`,
  );
  console.log('   a = plain C (test/bench/native-vs-c/plain-loops.c, cc -O2), b = in-app native loop (two Node processes, main/native/measure-loops.c),');
  console.log(`   c = Node TypeScript loop (sections 3-5). a and b: both processes on CPU ${PINNED_CPU}; c: where the scheduler puts them.`);
  console.log('   The machine has 2 cores shared with other work: expect noise.');
  console.log('');
  const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-nvc-'));
  const problems: string[] = [];
  const figures = new Map<Mechanism, Record<Column, Figures>>();
  try {
    const binary = join(dir, 'plain-loops');
    try {
      await run('cc', ['-O2', '-o', binary, SOURCE, '-lrt', '-lpthread'], { timeout: 60_000 });
    } catch (error) {
      console.log(`   skipped: cannot build ${SOURCE} with cc (${(error as Error).message.split('\n')[0]}). Fix: install a C compiler (apt-get install gcc).`);
      console.log('');
      return true;
    }
    for (const mechanism of MECHANISMS) {
      const f: Record<Column, Figures> = { c: { bulk: [], rtt: [] }, app: { bulk: [], rtt: [] }, node: { bulk: [], rtt: [] } };
      figures.set(mechanism, f);
      for (let rep = 0; rep < params.repeats; rep++) {
        for (const mode of ['bulk', 'rtt'] as const) {
          try {
            f.c[mode].push(await plainC(binary, mechanism, mode, params));
          } catch (error) {
            f.c[mode].push(NaN); // keeps repetition i of a beside repetition i of b
            problems.push(`plain C ${mechanism} ${mode}: ${(error as Error).message.split('\n')[0]}`);
          }
          f.app[mode].push(await inApp(mechanism, mode, params, dir, problems));
          f.node[mode].push(await nodeLoop(mechanism, mode, params, dir, problems));
        }
      }
      process.stdout.write(`   ${mechanism}: done\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log('');
  const rows = MECHANISMS.map((m) => {
    const f = figures.get(m)!;
    const bulkRatio = pairedRatio(f.app.bulk, f.c.bulk);
    const rttRatio = pairedRatio(f.app.rtt, f.c.rtt);
    return [
      m,
      cell(f.c.bulk, mb),
      cell(f.app.bulk, mb),
      `${fixed(bulkRatio, 2)}${Math.abs(bulkRatio - 1) <= WITHIN ? '' : ' *'}`,
      cell(f.node.bulk, mb),
      cell(f.c.rtt, us),
      cell(f.app.rtt, us),
      `${fixed(rttRatio, 2)}${Math.abs(rttRatio - 1) <= WITHIN ? '' : ' *'}`,
      cell(f.node.rtt, us),
    ];
  });
  console.log(table(['mechanism', 'bulk a: C', 'b: native', 'b/a', 'c: Node', 'rtt a: C', 'b: native', 'b/a', 'c: Node'], rows));
  console.log(`   b/a: the median over the repetitions of b / a, each a and b measured back to back.`);
  console.log(`   * the in-app native figure is more than ${WITHIN * 100} % from plain C in this run.`);
  console.log('');
  const between = (label: string, x: Mechanism, y: Mechanism, mode: 'bulk' | 'rtt', inverse: boolean) => {
    const col = (c: Column) => {
      const r = inverse ? ratio(figures.get(y)![c][mode], figures.get(x)![c][mode]) : ratio(figures.get(x)![c][mode], figures.get(y)![c][mode]);
      return fixed(r, 2) + 'x';
    };
    return [label, col('c'), col('app'), col('node')];
  };
  console.log(
    table(
      ['ratio between mechanisms (medians)', 'C', 'native', 'Node'],
      [
        between('Unix socket / TCP, bulk MB/s', 'Unix socket', 'TCP loopback', 'bulk', false),
        between('TCP / Unix socket, round trip', 'Unix socket', 'TCP loopback', 'rtt', true),
        between('shm ring / pipe, bulk MB/s', 'shm ring', 'pipe', 'bulk', false),
        between('pipe / shm ring, round trip', 'shm ring', 'pipe', 'rtt', true),
        between('pipe / POSIX mq, bulk MB/s', 'pipe', 'POSIX mq', 'bulk', false),
      ],
    ),
  );
  console.log('   Above 1x: the first mechanism is faster by that factor in that column, in this run.');
  const left = readdirSync('/dev/shm').filter((n) => n.startsWith(prefix.slice(1)));
  const leftQueues = existsSync('/dev/mqueue') ? readdirSync('/dev/mqueue').filter((n) => n.startsWith(prefix.slice(1))) : [];
  const alive = [...launcher.pids].filter((pid) => existsSync(`/proc/${pid}`));
  if (left.length + leftQueues.length + alive.length > 0)
    problems.push(`left behind: segments ${left.join(' ')} queues ${leftQueues.join(' ')} processes ${alive.join(' ')}`);
  for (const p of problems) console.log(`   PROBLEM: ${p}`);
  if (problems.length === 0) console.log('   every byte arrived in every run; nothing left behind');
  console.log('');
  return problems.length === 0;
}
