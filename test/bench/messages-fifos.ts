/**
 * Message queues and FIFOs, with an ordinary pipe for comparison, between two real processes: how many
 * small (64 B) and page-sized (4 KiB) messages each moves per second, and how long one takes there and
 * back.
 *
 *   a. Throughput: a fixed number of messages from a sender child to a receiver child, each message
 *      sent and received with its own system call:
 *        POSIX message queue: mq_open/mq_send/mq_receive from the addon (blocking), a queue of
 *          /proc/sys/fs/mqueue/msg_max (10) messages of exactly the message size; the kernel keeps
 *          message boundaries.
 *        FIFO: mkfifo in a temporary directory, opened with a blocking open(2) in each child (it waits for
 *          the other end), writeSync of one message, readSync of one message (completing partial reads:
 *          the bytes carry no boundaries, the fixed size frames them; writes of at most PIPE_BUF = 4096
 *          bytes are atomic).
 *        pipe: pipe(2) from the addon, each end passed to one child, used exactly like the FIFO.
 *      The sender waits for a go byte until both sides are set up; rate = messages / time from the
 *      sender's first send to the receiver's last message checked (CLOCK_MONOTONIC in both). Every
 *      message carries its sequence number and is compared whole by the receiver (mq/endpoint.ts).
 *   b. Round trip: a pinger child sends message k and waits for a ponger child to send it back (two
 *      queues, two FIFOs, or two pipes, one per direction), timing each round trip itself.
 *
 * All the blocking (FIFO opens, mq_send/mq_receive, readSync/writeSync) happens in the children: this
 * process only creates and removes the kernel objects and waits for reports, so its event loop and
 * libuv's threadpool stay free. Runs alternate between transports so all see the same machine. Queues
 * are named /ipc-lab-bench-<pid>-<n> and unlinked in `finally`, FIFOs live in a mkdtemp directory removed
 * at the end; the section then checks that no queue, FIFO directory or child process is left.
 */
import { closeSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { native } from '../../main/native/index.js';
import {
  fixed,
  median,
  nanosToMillisLossy,
  percentile,
  table,
  thousands,
  sizeLabel as size,
  megabytesPerSecond as mbps,
  micros as us,
  spread,
} from './bench-stats.js';
import type { MessageReport } from './mq/endpoint.js';
import { ChildLauncher } from './bench-children.js';

export type Transport = 'mqueue' | 'FIFO' | 'pipe';
const TRANSPORTS: readonly Transport[] = ['mqueue', 'FIFO', 'pipe'];

export interface MessagesParams {
  /** Message sizes, and how many messages a throughput run moves at each. */
  sizes: { bytes: number; messages: number }[];
  /** Throughput runs of each transport at each size. */
  repeats: number;
  /** Measured round trips per ping-pong run (after warmUp ones). */
  roundTrips: number;
  warmUp: number;
  /** Ping-pong runs of each transport at each size. */
  latencyRepeats: number;
  /** Queue capacity in messages (capped at /proc/sys/fs/mqueue/msg_max). */
  queueMessages: number;
}

export const DEFAULT_MESSAGES_PARAMS: MessagesParams = {
  sizes: [
    { bytes: 64, messages: 200_000 },
    { bytes: 4096, messages: 100_000 },
  ],
  repeats: 3,
  roundTrips: 10_000,
  warmUp: 1_000,
  latencyRepeats: 3,
  queueMessages: 10,
};

const PROGRAMS = fileURLToPath(new URL('./mq/', import.meta.url));
/** How long to wait for a child to be ready, or to end, before calling the run broken. */
const STALL_MS = 15_000;

const queuePrefix = `ipc-lab-bench-${process.pid}-`;
let queueCount = 0;
const queueNames: string[] = [];
let fifoCount = 0;

// ---------------------------------------------------------------------------------------------------
// Child processes: `ready`, then one JSON line, then exit (as in shared-memory.ts).

const launcher = new ChildLauncher(PROGRAMS, STALL_MS);

// ---------------------------------------------------------------------------------------------------
// Kernel objects: a channel is one direction of a transport, as endpoints for the children
// (mq/endpoint.ts), the descriptors to hand them, and how to check and remove it.

interface Channel {
  /** Endpoint of the sending and the receiving child. */
  sendSpec: string;
  receiveSpec: string;
  /** Pipe: the descriptor to pass each child (at the fd number its spec names), closed here once passed. */
  sendFd?: number;
  receiveFd?: number;
  /** Problems found when it is closed (a queue not empty). */
  close(): string[];
}

function queueCapacity(params: MessagesParams): number {
  try {
    return Math.min(params.queueMessages, Number(readFileSync('/proc/sys/fs/mqueue/msg_max', 'utf8').trim()));
  } catch {
    return params.queueMessages;
  }
}

/** A fresh pipe's capacity in bytes (F_GETPIPE_SZ; a FIFO gets the same default). */
function pipeCapacityBytes(): number {
  const { readFd, writeFd } = native().pipe();
  try {
    return native().pipeCapacity(readFd);
  } finally {
    closeSync(readFd);
    closeSync(writeFd);
  }
}

function mqueueChannel(bytes: number, capacity: number): Channel {
  const addon = native();
  const name = `/${queuePrefix}${++queueCount}`;
  const mqd = addon.mqOpen(name, { create: true, exclusive: true, maxMessages: capacity, messageBytes: bytes, access: 'both' });
  queueNames.push(name);
  return {
    sendSpec: `mqueue:${name}`,
    receiveSpec: `mqueue:${name}`,
    close() {
      const problems: string[] = [];
      try {
        const left = addon.mqGetattr(mqd).currentMessages;
        if (left !== 0) problems.push(`${left} messages left in ${name}`);
      } finally {
        addon.mqClose(mqd);
        addon.mqUnlink(name);
      }
      return problems;
    },
  };
}

function fifoChannel(dir: string): Channel {
  const path = join(dir, `fifo-${++fifoCount}`);
  native().mkfifo(path, 0o600);
  return {
    sendSpec: `fifo:${path}`,
    receiveSpec: `fifo:${path}`,
    close() {
      unlinkSync(path);
      return [];
    },
  };
}

/** A pipe whose ends the children get at sendAt / receiveAt. */
function pipeChannel(sendAt: number, receiveAt: number): Channel {
  const { readFd, writeFd } = native().pipe();
  const open = new Set([readFd, writeFd]);
  return {
    sendSpec: `fd:${sendAt}`,
    receiveSpec: `fd:${receiveAt}`,
    sendFd: writeFd,
    receiveFd: readFd,
    close() {
      for (const fd of open) closeSync(fd);
      open.clear();
      return [];
    },
  };
}

/** Closes our copies of the pipe ends once the children have theirs (or the pipe never ends). */
function closePassed(channels: Channel[]): void {
  for (const channel of channels) channel.close();
}

// ---------------------------------------------------------------------------------------------------
// a. Throughput

export interface MessageThroughputRun {
  transport: Transport;
  bytes: number;
  label: string;
  messages: number;
  verified: number;
  /** From the sender's first send to the receiver's last message checked. */
  elapsedNs: bigint;
  messagesPerSecond: number;
  bytesPerSecond: number;
  senderCpuMs: number;
  receiverCpuMs: number;
  /** read(2) / mq_receive calls the receiver made. */
  calls: number;
  problems: string[];
}

interface SenderReport {
  startNs: string;
  endNs: string;
  cpuMs: number;
  sent: number;
  problems: string[];
}

interface ReceiverReport extends MessageReport {
  firstNs: string;
  lastNs: string;
  cpuMs: number;
  calls: number;
}

/** Runs both children of one measurement: waits until both are ready, sends the go byte, collects both reports. */
function makeChannel(transport: Transport, bytes: number, capacity: number, dir: string, sendAt: number, receiveAt: number): Channel {
  if (transport === 'mqueue') return mqueueChannel(bytes, capacity);
  if (transport === 'FIFO') return fifoChannel(dir);
  return pipeChannel(sendAt, receiveAt);
}

export async function messageThroughput(
  transport: Transport,
  bytes: number,
  messages: number,
  capacity: number,
  dir: string,
  label: string,
): Promise<MessageThroughputRun> {
  // The sender has the go pipe at fd 3, so its end of a pipe is fd 4; the receiver's is fd 3.
  const channel = makeChannel(transport, bytes, capacity, dir, 4, 3);
  const problems: string[] = [];
  let reports: [unknown, unknown] | undefined;
  try {
    reports = await launcher.runPair(
      {
        program: 'sender.js',
        args: [channel.sendSpec, String(messages), String(bytes)],
        fds: channel.sendFd === undefined ? [] : [channel.sendFd],
        takesGo: true,
      },
      { program: 'receiver.js', args: [channel.receiveSpec, String(messages), String(bytes)], fds: channel.receiveFd === undefined ? [] : [channel.receiveFd] },
      problems,
      () => closePassed([channel].filter((c) => c.sendFd !== undefined)),
    );
  } finally {
    problems.push(...channel.close());
  }
  const empty = {
    transport,
    bytes,
    label,
    messages,
    verified: 0,
    elapsedNs: 0n,
    messagesPerSecond: NaN,
    bytesPerSecond: NaN,
    senderCpuMs: NaN,
    receiverCpuMs: NaN,
    calls: 0,
    problems,
  };
  if (!reports) return empty;
  const sender = reports[0] as SenderReport;
  const receiver = reports[1] as ReceiverReport;
  problems.push(...sender.problems.map((p) => `sender: ${p}`), ...receiver.problems.map((p) => `receiver: ${p}`));
  if (receiver.problemCount > receiver.problems.length) problems.push(`receiver: and ${receiver.problemCount - receiver.problems.length} more`);
  if (sender.sent !== messages) problems.push(`sent ${sender.sent} of ${messages}`);
  if (receiver.verified !== messages)
    problems.push(
      `${messages - receiver.verified} of ${messages} messages not verified (lost ${receiver.lost}, out of order ${receiver.outOfOrder}, corrupted ${receiver.corrupted})`,
    );
  const elapsedNs = BigInt(receiver.lastNs) - BigInt(sender.startNs);
  const seconds = Number(elapsedNs) / 1e9;
  return {
    ...empty,
    verified: receiver.verified,
    elapsedNs,
    messagesPerSecond: receiver.verified / seconds,
    bytesPerSecond: (receiver.verified * bytes) / seconds,
    senderCpuMs: sender.cpuMs,
    receiverCpuMs: receiver.cpuMs,
    calls: receiver.calls,
  };
}

// ---------------------------------------------------------------------------------------------------
// b. Round trips

export interface MessageLatencyRun {
  transport: Transport;
  bytes: number;
  label: string;
  /** Round-trip times in ns, measured round trips only. */
  samples: number[];
  problems: string[];
}

export async function messagePingPong(
  transport: Transport,
  bytes: number,
  params: MessagesParams,
  capacity: number,
  dir: string,
  label: string,
): Promise<MessageLatencyRun> {
  const total = params.warmUp + params.roundTrips;
  // Pinger: go at 3, ping (sends) at 4, pong (receives) at 5. Ponger: ping (receives) at 3, pong (sends) at 4.
  const channels: Channel[] = [];
  const problems: string[] = [];
  let reports: [unknown, unknown] | undefined;
  try {
    const ping = makeChannel(transport, bytes, capacity, dir, 4, 3);
    channels.push(ping);
    const pong = makeChannel(transport, bytes, capacity, dir, 4, 5);
    channels.push(pong);
    const fds = (...list: (number | undefined)[]) => list.filter((fd): fd is number => fd !== undefined);
    reports = await launcher.runPair(
      {
        program: 'pinger.js',
        args: [ping.sendSpec, pong.receiveSpec, String(bytes), String(params.warmUp), String(params.roundTrips)],
        fds: fds(ping.sendFd, pong.receiveFd),
        takesGo: true,
      },
      { program: 'ponger.js', args: [ping.receiveSpec, pong.sendSpec, String(bytes), String(total)], fds: fds(ping.receiveFd, pong.sendFd) },
      problems,
      () => closePassed(channels.filter((c) => c.sendFd !== undefined)),
    );
  } finally {
    for (const channel of channels) problems.push(...channel.close());
  }
  if (!reports) return { transport, bytes, label, samples: [], problems };
  const pinger = reports[0] as { samples: number[]; rounds: number; problems: string[] };
  const ponger = reports[1] as { rounds: number; problems: string[] };
  problems.push(...pinger.problems.map((p) => `pinger: ${p}`), ...ponger.problems.map((p) => `ponger: ${p}`));
  if (pinger.rounds !== total || ponger.rounds !== total) problems.push(`round trips: pinger ${pinger.rounds}, ponger ${ponger.rounds}, of ${total}`);
  return { transport, bytes, label, samples: pinger.samples, problems };
}

// ---------------------------------------------------------------------------------------------------
// Leftovers

/** Queues of this process still in /dev/mqueue or still openable, the FIFO directory, children alive. */
export function messageLeftovers(dir: string): { queues: string[]; fifoDir: boolean; processes: number[] } {
  const queues = new Set<string>();
  if (existsSync('/dev/mqueue')) for (const n of readdirSync('/dev/mqueue')) if (n.startsWith(queuePrefix)) queues.add(`/${n}`);
  for (const name of queueNames) {
    try {
      native().mqClose(native().mqOpen(name, { create: false, access: 'read' }));
      queues.add(name); // it opened: still there
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') queues.add(`${name} (${(error as NodeJS.ErrnoException).code})`);
    }
  }
  return { queues: [...queues], fifoDir: existsSync(dir), processes: [...launcher.pids].filter((pid) => existsSync(`/proc/${pid}`)) };
}

// ---------------------------------------------------------------------------------------------------
// The section

const perSecond = (n: number) => thousands(n) + ' msg/s';

export async function messagesSection(number: number, params: MessagesParams = DEFAULT_MESSAGES_PARAMS): Promise<boolean> {
  const capacity = queueCapacity(params);
  const pipeBytes = pipeCapacityBytes();
  const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-bench-fifo-'));
  let ok = true;
  try {
    console.log(`${number}. Message queues and FIFOs (and a pipe for comparison), between two child processes`);
    console.log('');
    console.log(
      `   a. Throughput: ${params.sizes.map((s) => `${thousands(s.messages)} messages of ${size(s.bytes)}`).join(', ')}; ${params.repeats} runs of each, alternating.`,
    );
    console.log(`      mqueue: POSIX message queue (addon mq_open, blocking), capacity ${capacity} messages (msg_max), msgsize = the message size;`);
    console.log('        one mq_send / mq_receive per message, the kernel keeps the boundaries');
    console.log('      FIFO: mkfifo in a temp directory, blocking open(2) in each child, one writeSync / readSync per message');
    console.log('        (fixed-size framing, partial reads completed; writes <= PIPE_BUF are atomic)');
    console.log('      pipe: pipe(2) from the addon, one end per child, used exactly like the FIFO');
    console.log(
      `      Room before the sender blocks: mqueue ${capacity} messages (${params.sizes.map((s) => size(capacity * s.bytes)).join(' / ')}); ` +
        `pipe and FIFO ${size(pipeBytes)} (${params.sizes.map((s) => thousands(pipeBytes / s.bytes)).join(' / ')} messages) at ${params.sizes.map((s) => size(s.bytes)).join(' / ')}.`,
    );
    console.log("      Rate = messages / time from the sender's first send to the receiver's last message checked (same CLOCK_MONOTONIC).");
    console.log('      Every message carries its sequence number and is compared whole by the receiver (none lost, none out of order, length right).');
    console.log('      receive calls: mq_receive or read(2) calls of the receiver (a stream: one more, for end of file; more if reads were partial).');
    console.log('');
    const runs: MessageThroughputRun[] = [];
    for (const { bytes, messages } of params.sizes) {
      for (let i = 1; i <= params.repeats; i++) {
        for (const transport of TRANSPORTS) {
          const run = await messageThroughput(transport, bytes, messages, capacity, dir, String(i));
          runs.push(run);
          process.stdout.write(
            `      ${size(bytes)} run ${i}/${params.repeats} ${transport}: ${perSecond(run.messagesPerSecond)}, ${mbps(run.bytesPerSecond)}${run.problems.length ? ' PROBLEM' : ''}\n`,
          );
        }
      }
    }
    console.log('');
    console.log(
      table(
        ['size', 'run', 'transport', 'verified', 'time', 'rate', 'throughput', 'sender CPU', 'receiver CPU', 'receive calls'],
        runs.map((r) => [
          size(r.bytes),
          r.label,
          r.transport,
          `${thousands(r.verified)}/${thousands(r.messages)}`,
          thousands(nanosToMillisLossy(r.elapsedNs)) + ' ms',
          perSecond(r.messagesPerSecond),
          mbps(r.bytesPerSecond),
          thousands(r.senderCpuMs) + ' ms',
          thousands(r.receiverCpuMs) + ' ms',
          thousands(r.calls),
        ]),
      ).replace(/^/gm, '   '),
    );
    console.log('');
    for (const { bytes } of params.sizes) {
      const of = (t: Transport) => runs.filter((r) => r.bytes === bytes && r.transport === t);
      for (const t of TRANSPORTS) {
        console.log(
          `      ${size(bytes).padEnd(6)} ${t.padEnd(6)} ${spread(
            of(t).map((r) => r.messagesPerSecond),
            perSecond,
          )}; ${mbps(median(of(t).map((r) => r.bytesPerSecond)))} median`,
        );
      }
      const m = (t: Transport) => median(of(t).map((r) => r.messagesPerSecond));
      console.log(
        `      ${size(bytes).padEnd(6)} ratios of the medians: mqueue/pipe ${fixed(m('mqueue') / m('pipe'), 2)}x, FIFO/pipe ${fixed(m('FIFO') / m('pipe'), 2)}x`,
      );
    }
    let runsOk = true;
    for (const r of runs) {
      if (r.problems.length === 0) continue;
      runsOk = false;
      console.log(`      ${size(r.bytes)} run ${r.label} ${r.transport}: PROBLEM: ${r.problems.join('; ')}`);
    }
    if (runsOk) {
      console.log(
        `      lost: 0, out of order: 0, corrupted: 0, wrong length: 0, in all ${runs.length} runs (${thousands(runs.reduce((n, r) => n + r.verified, 0))} messages compared in full)`,
      );
    }
    ok &&= runsOk;
    console.log('');

    console.log(
      `   b. Round trip: ${thousands(params.roundTrips)} round trips after ${thousands(params.warmUp)} warm-up ones, at ${params.sizes.map((s) => size(s.bytes)).join(' and ')}; ${params.latencyRepeats} runs of each, alternating.`,
    );
    console.log('      mqueue: two queues (one per direction); FIFO: two FIFOs; pipe: two pipe(2)s. The pinger child sends message k and');
    console.log('      waits for the ponger child to send it back, timing each round trip with process.hrtime.bigint(); both check every message.');
    console.log('');
    const pings: MessageLatencyRun[] = [];
    for (const { bytes } of params.sizes) {
      for (let i = 1; i <= params.latencyRepeats; i++) {
        for (const transport of TRANSPORTS) pings.push(await messagePingPong(transport, bytes, params, capacity, dir, String(i)));
      }
    }
    console.log(
      table(
        ['size', 'run', 'transport', 'round trips', 'p50', 'p90', 'p99', 'max'],
        pings.map((r) => [
          size(r.bytes),
          r.label,
          r.transport,
          `${thousands(r.samples.length)}/${thousands(params.roundTrips)}`,
          us(percentile(r.samples, 50)),
          us(percentile(r.samples, 90)),
          us(percentile(r.samples, 99)),
          r.samples.length ? us(Math.max(...r.samples)) : 'n/a',
        ]),
      ).replace(/^/gm, '   '),
    );
    console.log('');
    for (const { bytes } of params.sizes) {
      const q = (t: Transport, p: number) =>
        pings.filter((r) => r.bytes === bytes && r.transport === t && r.samples.length > 0).map((r) => percentile(r.samples, p));
      for (const t of TRANSPORTS) {
        console.log(`      ${size(bytes).padEnd(6)} ${t.padEnd(6)} p50 ${spread(q(t, 50), us)}; p99 median ${us(median(q(t, 99)))}`);
      }
      console.log(
        `      ${size(bytes).padEnd(6)} median p50 over pipe: mqueue ${fixed(median(q('mqueue', 50)) / median(q('pipe', 50)), 2)}x, FIFO ${fixed(median(q('FIFO', 50)) / median(q('pipe', 50)), 2)}x`,
      );
    }
    let pingsOk = true;
    for (const r of pings) {
      if (r.problems.length === 0) continue;
      pingsOk = false;
      console.log(`      ${size(r.bytes)} run ${r.label} ${r.transport}: PROBLEM: ${r.problems.join('; ')}`);
    }
    if (pingsOk) console.log(`      every round trip answered, in order, unchanged, in all ${pings.length} runs`);
    ok &&= pingsOk;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const left = messageLeftovers(dir);
  if (left.queues.length > 0 || left.fifoDir || left.processes.length > 0) {
    ok = false;
    console.log(
      `      PROBLEM: left behind: queues ${left.queues.join(', ') || 'none'}; FIFO directory ${left.fifoDir ? dir : 'none'}; processes ${left.processes.join(', ') || 'none'}`,
    );
  } else {
    console.log(
      `      left behind: no queue (${queueCount} created; none in /dev/mqueue, mq_open gives ENOENT for each), no FIFO directory (${fifoCount} FIFOs made), no child process (${launcher.pids.size} started)`,
    );
  }
  console.log('');
  return ok;
}
