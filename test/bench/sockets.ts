/**
 * Unix domain sockets against TCP on the loopback, between two real processes: throughput and round
 * trips at 64 B, 4 KiB and 64 KiB messages, every byte checked.
 *
 *   a. Throughput: a client child streams a fixed number of messages (4-byte length + the bytes, one
 *      write per message, honouring back-pressure: main/runtime/sockets/framing.ts, the lab's framing)
 *      to a server child, which checks every byte against the pattern and answers with its count after
 *      an empty message. Rate = bytes / time from the client's first write to that answer.
 *   b. Round trip: the client sends message k and waits for the server to echo it, timing each round
 *      trip with process.hrtime.bigint() and comparing the answer whole.
 *
 * Node's `net` module in both children (the lab programs' code path): Unix sockets in a mkdtemp
 * directory, TCP on 127.0.0.1 with TCP_NODELAY on a port reserved just before the run. The server child
 * says `ready` once listening; the client once connected; then the go byte starts the clock. Runs
 * alternate between transports so both see the same machine; the section then checks that no socket
 * file, directory or child process is left.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
import { ChildLauncher } from './bench-children.js';

export type SocketTransport = 'unix' | 'tcp';
const TRANSPORTS: readonly SocketTransport[] = ['unix', 'tcp'];

export interface SocketsParams {
  /** Message sizes, and how many messages a throughput run streams at each. */
  sizes: { bytes: number; messages: number }[];
  /** Throughput runs of each transport at each size. */
  repeats: number;
  /** Measured round trips per ping-pong run (after warmUp ones). */
  roundTrips: number;
  warmUp: number;
  /** Ping-pong runs of each transport at each size. */
  latencyRepeats: number;
}

export const DEFAULT_SOCKETS_PARAMS: SocketsParams = {
  sizes: [
    { bytes: 64, messages: 100_000 },
    { bytes: 4096, messages: 20_000 },
    { bytes: 65536, messages: 8_000 },
  ],
  repeats: 3,
  roundTrips: 5_000,
  warmUp: 500,
  latencyRepeats: 3,
};

const PROGRAMS = fileURLToPath(new URL('./sockets/', import.meta.url));
/** How long to wait for a child to be ready, or to end, before calling the run broken. */
const STALL_MS = 30_000;

const launcher = new ChildLauncher(PROGRAMS, STALL_MS);
let socketCount = 0;

/** The server (ready before the client starts, since the client connects at once) and the client, which measures on the go byte. */
const pair = (serverArgs: string[], clientArgs: string[], problems: string[]) =>
  launcher.runPair(
    { program: 'socket-server.js', args: serverArgs, readyFirst: true },
    { program: 'socket-client.js', args: clientArgs, takesGo: true },
    problems,
  );

/** A free loopback port: bound with port 0, then released for the server child to bind. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function addressFor(transport: SocketTransport, dir: string): Promise<string> {
  return transport === 'unix' ? `unix:${join(dir, `bench-${++socketCount}.sock`)}` : `tcp:127.0.0.1:${await freePort()}`;
}

/** Starts the server, then the client once the server listens; sends the go byte once both are ready; returns both reports. */
// ---------------------------------------------------------------------------------------------------
// a. Throughput

export interface SocketThroughputRun {
  transport: SocketTransport;
  bytes: number;
  label: string;
  messages: number;
  /** Bytes the server checked against the pattern, all right. */
  verified: number;
  elapsedNs: bigint;
  bytesPerSecond: number;
  clientCpuMs: number;
  serverCpuMs: number;
  problems: string[];
}

export async function socketThroughput(transport: SocketTransport, bytes: number, messages: number, dir: string, label: string): Promise<SocketThroughputRun> {
  const problems: string[] = [];
  const address = await addressFor(transport, dir);
  const reports = await pair([address, 'sink'], [address, 'stream', String(bytes), String(messages), '0'], problems);
  const empty = { transport, bytes, label, messages, verified: 0, elapsedNs: 0n, bytesPerSecond: NaN, clientCpuMs: NaN, serverCpuMs: NaN, problems };
  if (!reports) return empty;
  const client = reports[1] as { startNs: string; endNs: string; sent: number; received: number; badAt: number; cpuMs: number; problems: string[] };
  const server = reports[0] as { received: number; badAt: number; cpuMs: number; problems: string[] };
  problems.push(...client.problems.map((p) => `client: ${p}`), ...server.problems.map((p) => `server: ${p}`));
  const expected = bytes * messages;
  if (server.received !== expected || client.received !== expected) problems.push(`the server checked ${server.received} of ${expected} bytes`);
  if (server.badAt >= 0) problems.push(`byte ${server.badAt} of the stream was wrong`);
  const verified = problems.length === 0 ? server.received : 0;
  const elapsedNs = BigInt(client.endNs) - BigInt(client.startNs);
  return { ...empty, verified, elapsedNs, bytesPerSecond: expected / (Number(elapsedNs) / 1e9), clientCpuMs: client.cpuMs, serverCpuMs: server.cpuMs };
}

// ---------------------------------------------------------------------------------------------------
// b. Round trips

export interface SocketLatencyRun {
  transport: SocketTransport;
  bytes: number;
  label: string;
  /** Round-trip times in ns, measured round trips only. */
  samples: number[];
  problems: string[];
}

export async function socketPingPong(transport: SocketTransport, bytes: number, params: SocketsParams, dir: string, label: string): Promise<SocketLatencyRun> {
  const problems: string[] = [];
  const address = await addressFor(transport, dir);
  const reports = await pair([address, 'echo'], [address, 'pingpong', String(bytes), String(params.roundTrips), String(params.warmUp)], problems);
  if (!reports) return { transport, bytes, label, samples: [], problems };
  const server = reports[0] as { messages: number; problems: string[] };
  const client = reports[1] as { samples: number[]; rounds: number; problems: string[] };
  problems.push(...client.problems.map((p) => `client: ${p}`), ...server.problems.map((p) => `server: ${p}`));
  const total = params.warmUp + params.roundTrips;
  if (client.rounds !== total || server.messages !== total) problems.push(`round trips: client ${client.rounds}, server ${server.messages}, of ${total}`);
  return { transport, bytes, label, samples: client.samples, problems };
}

// ---------------------------------------------------------------------------------------------------
// The section

/** Prints the section; returns false if a byte was lost or wrong, a run broke, or anything was left behind. */
export async function socketsSection(number: number, params: SocketsParams = DEFAULT_SOCKETS_PARAMS): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-bench-sock-'));
  let ok = true;
  try {
    console.log(`${number}. Unix domain socket vs TCP on the loopback, between two child processes (Node's net module)`);
    console.log('');
    console.log(
      `   a. Throughput: ${params.sizes.map((s) => `${thousands(s.messages)} messages of ${size(s.bytes)}`).join(', ')}; ${params.repeats} runs of each, alternating.`,
    );
    console.log('      One write per message (4-byte length + bytes), honouring back-pressure; the server checks every byte against a pattern');
    console.log("      and answers after an empty message. Rate = bytes / time from the client's first write to that answer.");
    console.log('      unix: a socket file in a temp directory; tcp: 127.0.0.1, TCP_NODELAY on both ends.');
    console.log('');
    const runs: SocketThroughputRun[] = [];
    for (const { bytes, messages } of params.sizes) {
      for (let i = 1; i <= params.repeats; i++) {
        for (const transport of TRANSPORTS) {
          const run = await socketThroughput(transport, bytes, messages, dir, String(i));
          runs.push(run);
          process.stdout.write(
            `      ${size(bytes)} run ${i}/${params.repeats} ${transport}: ${mbps(run.bytesPerSecond)}${run.problems.length ? ' PROBLEM' : ''}\n`,
          );
        }
      }
    }
    console.log('');
    console.log(
      table(
        ['size', 'run', 'transport', 'bytes verified', 'time', 'throughput', 'client CPU', 'server CPU'],
        runs.map((r) => [
          size(r.bytes),
          r.label,
          r.transport,
          `${thousands(r.verified)}/${thousands(r.bytes * r.messages)}`,
          thousands(nanosToMillisLossy(r.elapsedNs)) + ' ms',
          mbps(r.bytesPerSecond),
          thousands(r.clientCpuMs) + ' ms',
          thousands(r.serverCpuMs) + ' ms',
        ]),
      ).replace(/^/gm, '   '),
    );
    console.log('');
    for (const { bytes } of params.sizes) {
      const of = (t: SocketTransport) => runs.filter((r) => r.bytes === bytes && r.transport === t).map((r) => r.bytesPerSecond);
      for (const t of TRANSPORTS) console.log(`      ${size(bytes).padEnd(6)} ${t.padEnd(4)} ${spread(of(t), mbps)}`);
      console.log(`      ${size(bytes).padEnd(6)} ratio of the medians: unix/tcp ${fixed(median(of('unix')) / median(of('tcp')), 2)}x`);
    }
    let runsOk = true;
    for (const r of runs) {
      if (r.problems.length === 0) continue;
      runsOk = false;
      console.log(`      ${size(r.bytes)} run ${r.label} ${r.transport}: PROBLEM: ${r.problems.join('; ')}`);
    }
    if (runsOk)
      console.log(`      every byte checked, none lost or wrong, in all ${runs.length} runs (${thousands(runs.reduce((n, r) => n + r.verified, 0))} bytes)`);
    ok &&= runsOk;
    console.log('');

    console.log(
      `   b. Round trip: ${thousands(params.roundTrips)} round trips after ${thousands(params.warmUp)} warm-up ones, at ${params.sizes.map((s) => size(s.bytes)).join(', ')}; ${params.latencyRepeats} runs of each, alternating.`,
    );
    console.log('      The client sends message k and waits for the server to echo it, timing each round trip; it compares every answer whole.');
    console.log('');
    const pings: SocketLatencyRun[] = [];
    for (const { bytes } of params.sizes) {
      for (let i = 1; i <= params.latencyRepeats; i++) {
        for (const transport of TRANSPORTS) pings.push(await socketPingPong(transport, bytes, params, dir, String(i)));
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
      const q = (t: SocketTransport, p: number) =>
        pings.filter((r) => r.bytes === bytes && r.transport === t && r.samples.length > 0).map((r) => percentile(r.samples, p));
      for (const t of TRANSPORTS) console.log(`      ${size(bytes).padEnd(6)} ${t.padEnd(4)} p50 ${spread(q(t, 50), us)}; p99 median ${us(median(q(t, 99)))}`);
      console.log(`      ${size(bytes).padEnd(6)} median p50 tcp/unix ${fixed(median(q('tcp', 50)) / median(q('unix', 50)), 2)}x`);
    }
    let pingsOk = true;
    for (const r of pings) {
      if (r.problems.length === 0) continue;
      pingsOk = false;
      console.log(`      ${size(r.bytes)} run ${r.label} ${r.transport}: PROBLEM: ${r.problems.join('; ')}`);
    }
    if (pingsOk) console.log(`      every round trip answered, unchanged, in all ${pings.length} runs`);
    ok &&= pingsOk;
  } finally {
    const files = existsSync(dir) ? readdirSync(dir) : [];
    rmSync(dir, { recursive: true, force: true });
    const alive = [...launcher.pids].filter((pid) => existsSync(`/proc/${pid}`));
    if (files.length > 0 || alive.length > 0) {
      ok = false;
      console.log(`      PROBLEM: left behind: socket files ${files.join(', ') || 'none'}; processes ${alive.join(', ') || 'none'}`);
    } else {
      console.log(
        `      left behind: no socket file (${socketCount} addresses used; each server unlinked its own), no child process (${launcher.pids.size} started)`,
      );
    }
  }
  console.log('');
  return ok;
}
