/**
 * The client of the "transports" scenario. The same code runs against the Unix socket and against TCP;
 * only the address differs.
 *
 *   ping-pong   send a message, wait for it to come back, compare it byte for byte; time each round
 *               trip. The round trips go in batches, Unix and TCP taking turns, so that both see the
 *               same machine (a loaded 2-core machine changes speed from one second to the next). Around
 *               each batch the client asks the engine for a kernel snapshot (lab.snapshot): the kernel's
 *               own counters of both processes, /proc/<pid>/stat (CPU time in the kernel, `stime`) and
 *               /proc/<pid>/io (write() calls), say what the batch cost the kernel, whatever this
 *               program thinks.
 *               `roundTrips` is the least: the kernel counts its time in 10 ms ticks, and how many a
 *               number of round trips adds up to depends on the machine and its load. So the client
 *               reads the same `stime` itself, between the two snapshots of each batch, and goes on
 *               with more batches of the same size, the transports still taking turns, until both
 *               processes have spent KERNEL_TIME_MIN_MS (kernel-clock.ts) in the kernel on each
 *               transport: what the check asks of the engine's snapshots, which are taken before and
 *               after the client's own readings and so count at least as much. It gives up at
 *               MORE_BATCHES_AT_MOST times the batches asked for; the check then says the evidence was
 *               too coarse.
 *   throughput  stream `totalBytes` of a known pattern; the server checks every byte and replies.
 *   native      the same round trips and the same stream again, each side making the same system
 *               calls in a C loop (main/runtime/native-loops.ts, main/native/measure-loops.c): no
 *               JavaScript per message, so what is left is mostly the kernel's part. Each loop is one
 *               io.begin / io.end pair in the trace, not one event per call.
 *
 * TCP sockets have TCP_NODELAY set (traced-socket.ts): without it, Nagle's algorithm may hold back a
 * small message waiting for more, and a round trip takes tens of milliseconds instead of microseconds.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { connect, type SocketAddress, type TracedConnection } from '../../../main/runtime/sockets/traced-socket.js';
import { frame, FrameInbox, patternBytes } from '../../../main/runtime/sockets/framing.js';
import { pingLoop, tracedLoop, writeLoop, type LoopTiming } from '../../../main/runtime/native-loops.js';
import { KERNEL_TIME_MIN_MS, kernelTimeMs, MORE_BATCHES_AT_MOST } from './kernel-clock.js';

type Transport = 'unix' | 'tcp';
const roundTrips = lab.int('roundTrips');
const messageBytes = lab.int('messageBytes');
const totalBytes = lab.int('totalBytes');
const CHUNK = 64 * 1024;
/** Ping-pong batches per transport asked for (fewer when there are fewer round trips). */
const BATCHES = Math.min(4, roundTrips);
/** Where the client stops going on for the kernel's clock. */
const MAX_BATCHES = MORE_BATCHES_AT_MOST * BATCHES;
/** The server started this client (lab.spawn in echo-server.ts): its parent is the other process. */
const serverPid = process.ppid;

interface Result {
  transport: Transport;
  samples: number[];
  mbPerSecond: number;
  verified: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const roundUs = (ns: number) => Math.round(ns / 100) / 10;

interface PingPong {
  transport: Transport;
  connection: TracedConnection;
  inbox: FrameInbox;
  result: Result;
  failed: boolean;
  /** Both processes' time in the kernel during this transport's batches, by this client's own readings. */
  kernelMs: number;
}

async function openPingPong(transport: Transport, address: SocketAddress): Promise<PingPong> {
  const connection = await connect(lab, address, `${transport}-ping-pong`);
  const inbox = new FrameInbox(connection.socket, 1024 * 1024);
  await connection.write(frame(Buffer.from('echo')));
  return { transport, connection, inbox, result: { transport, samples: [], mbPerSecond: 0, verified: 0 }, failed: false, kernelMs: 0 };
}

/** Both processes' time in the kernel so far, by /proc/<pid>/stat; undefined once one is gone. */
function kernelTimeOfBoth(): number | undefined {
  const [own, server] = [kernelTimeMs('self'), kernelTimeMs(serverPid)];
  return own === undefined || server === undefined ? undefined : own + server;
}

/**
 * One batch of `count` round trips, between two kernel snapshots. The note after the first snapshot
 * marks when the round trips start (the snapshot's own events are stamped before the engine has
 * finished reading /proc); no other trace event is emitted inside the batch. The client's own readings
 * of the kernel's clock lie between the two snapshots (after the engine has answered the first, before
 * it asks for the second), so the engine's snapshots count at least the time they count.
 */
async function batch(p: PingPong, index: number, count: number): Promise<void> {
  const ping = Buffer.alloc(messageBytes);
  const batchSamples: number[] = [];
  lab.snapshot(`before ${p.transport} batch ${index}`);
  const kernelBefore = kernelTimeOfBoth();
  lab.note(`${p.transport} batch ${index}: ${count} round trips of ${messageBytes} bytes start`);
  for (let i = 0; i < count && !p.failed; i++) {
    patternBytes(p.result.samples.length + i, messageBytes).copy(ping); // each ping differs from the one before
    const start = process.hrtime.bigint();
    p.connection.socket.write(frame(ping));
    const pong = await p.inbox.next();
    batchSamples.push(Number(process.hrtime.bigint() - start));
    if (!pong || !pong.equals(ping)) p.failed = true;
    else p.result.verified += 2 * messageBytes; // out and back, both compared
  }
  const kernelAfter = kernelTimeOfBoth();
  lab.snapshot(`after ${p.transport} batch ${index}`);
  if (kernelBefore !== undefined && kernelAfter !== undefined) p.kernelMs += kernelAfter - kernelBefore;
  if (p.failed)
    lab.emit('io.error', {
      op: 'read',
      channel: p.connection.channel,
      code: 'EBADMSG',
      message: `round trip ${p.result.samples.length + batchSamples.length}: the pong differs from the ping`,
    });
  p.result.samples.push(...batchSamples);
  batchSamples.sort((a, b) => a - b);
  lab.measure(
    `${p.transport} batch ${index} round trip p50`,
    roundUs(percentile(batchSamples, 50)),
    'µs',
    `${batchSamples.length} round trips of ${messageBytes} bytes`,
  );
}

async function throughput(transport: Transport, address: SocketAddress, result: Result): Promise<void> {
  const sink = await connect(lab, address, `${transport}-stream`);
  const replies = new FrameInbox(sink.socket, 1024 * 1024);
  await sink.write(frame(Buffer.from('sink')));
  const start = process.hrtime.bigint();
  for (let sent = 0; sent < totalBytes;) {
    const n = Math.min(CHUNK, totalBytes - sent);
    await sink.write(frame(patternBytes(sent, n))); // waits for 'drain' when the kernel's buffer is full
    sent += n;
  }
  await sink.write(frame(Buffer.alloc(0)));
  const reply = JSON.parse((await replies.next())?.toString() ?? '{}') as { received?: number; badAt?: number };
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  sink.end();
  await sink.closed;
  if (reply.received === totalBytes && reply.badAt === -1) result.verified += totalBytes;
  else
    lab.emit('io.error', {
      op: 'read',
      channel: sink.channel,
      code: 'EBADMSG',
      message: `the server got ${reply.received} of ${totalBytes} bytes${reply.badAt !== undefined && reply.badAt >= 0 ? `, the first wrong one at offset ${reply.badAt}` : ''}`,
    });
  result.mbPerSecond = totalBytes / seconds / 1e6;
  lab.measure(
    `${transport} throughput`,
    Math.round(result.mbPerSecond),
    'MB/s',
    `${totalBytes} bytes in messages of up to ${CHUNK} bytes, every byte checked by the server`,
  );
}

/** Waits for the server's "go": it has stopped reading through Node and is inside its own C loop's first call. */
async function nativeConnection(transport: Transport, address: SocketAddress, what: string, request: string) {
  const connection = await connect(lab, address, `${transport}-native-${what}`);
  const inbox = new FrameInbox(connection.socket, 1024);
  await connection.write(frame(Buffer.from(request)));
  const go = (await inbox.next())?.toString();
  if (go !== 'go') throw new Error(`the server answered ${JSON.stringify(go)} to ${JSON.stringify(request)}, not "go"`);
  return { connection, inbox };
}

/** Runs a native loop traced as one io pair; a failure is left in the trace as its io.error, and the figure is missing. */
function nativeLoop(channel: string, bytes: number, run: () => LoopTiming): LoopTiming | undefined {
  try {
    return tracedLoop(lab, 'write', channel, bytes, run);
  } catch {
    return undefined;
  }
}

async function nativeFigures(transport: Transport, address: SocketAddress): Promise<void> {
  const pp = await nativeConnection(transport, address, 'ping-pong', `native-echo ${roundTrips} ${messageBytes}`);
  lab.note(
    `native loop: ${roundTrips} round trips of ${messageBytes} bytes over ${transport}, write() then read() in C with nothing in between, the server the same (pingLoop, pongLoop: main/native/measure-loops.c)`,
  );
  const trips = nativeLoop(pp.connection.channel, 2 * roundTrips * messageBytes, () =>
    pingLoop(pp.connection.socket, pp.connection.socket, roundTrips, messageBytes),
  );
  if (trips?.roundTripNs) {
    const { p50, p90 } = trips.roundTripNs;
    lab.measure(`native ${transport} round trip p50`, roundUs(p50), 'µs', `${roundTrips} round trips of ${messageBytes} bytes in C; p90 ${roundUs(p90)} µs`);
  }
  pp.connection.end();
  await pp.connection.closed;

  const stream = await nativeConnection(transport, address, 'stream', `native-sink ${totalBytes}`);
  lab.note(`native loop: ${totalBytes} bytes over ${transport} in write() calls of up to ${CHUNK} bytes in C, read() by the server in C (writeLoop, readLoop)`);
  const wrote = nativeLoop(stream.connection.channel, totalBytes, () => writeLoop(stream.connection.socket, totalBytes, CHUNK));
  const reply = JSON.parse((await stream.inbox.next())?.toString() ?? '{}') as { received?: number; endNs?: string };
  if (wrote && reply.received === totalBytes && reply.endNs) {
    // Both ends read CLOCK_MONOTONIC: the client's first write to the server's last read is one interval.
    const seconds = Number(BigInt(reply.endNs) - wrote.startNs) / 1e9;
    lab.measure(
      `native ${transport} throughput`,
      Math.round(totalBytes / seconds / 1e6),
      'MB/s',
      `${totalBytes} bytes, from the client's first write() to the server's last read(), both in C`,
    );
  }
  stream.connection.end();
  await stream.connection.closed;
}

const addresses: [Transport, SocketAddress][] = [];
const unixPath = lab.has('unixPath') ? String(lab.params.unixPath) : '';
const tcpAddress = lab.has('tcpAddress') ? String(lab.params.tcpAddress) : '';
if (unixPath) addresses.push(['unix', { path: unixPath }]);
if (tcpAddress)
  addresses.push(['tcp', { host: tcpAddress.slice(0, tcpAddress.lastIndexOf(':')), port: Number(tcpAddress.slice(tcpAddress.lastIndexOf(':') + 1)) }]);

// Ping-pong: batches, the transports taking turns; more of them while the kernel's clock has counted
// too little on a transport.
const pingPongs: PingPong[] = [];
for (const [transport, address] of addresses) pingPongs.push(await openPingPong(transport, address));
const moreNeeded = () => pingPongs.some((p) => p.kernelMs < KERNEL_TIME_MIN_MS) && !pingPongs.some((p) => p.failed);
for (let b = 1; b <= BATCHES || (b <= MAX_BATCHES && moreNeeded()); b++) {
  const count = Math.floor(roundTrips / BATCHES) + (b <= roundTrips % BATCHES ? 1 : 0);
  for (const p of pingPongs) await batch(p, b, count);
}
for (const p of pingPongs) {
  p.connection.end();
  await p.connection.closed;
  const sorted = [...p.result.samples].sort((a, b) => a - b);
  const [p10, p50, p90] = [10, 50, 90].map((q) => roundUs(percentile(sorted, q)));
  lab.measure(`${p.transport} round trips`, sorted.length, 'round trips', `of ${messageBytes} bytes, in batches, at least ${roundTrips} asked for`);
  lab.measure(`${p.transport} round trip p50`, p50!, 'µs', `${sorted.length} round trips of ${messageBytes} bytes; p10 ${p10} µs, p90 ${p90} µs`);
  lab.measure(`${p.transport} round trip p10`, p10!, 'µs');
  lab.measure(`${p.transport} round trip p90`, p90!, 'µs');
}

// Throughput, one transport after the other.
for (const [transport, address] of addresses) {
  const result = pingPongs.find((p) => p.transport === transport)!.result;
  await throughput(transport, address, result);
  lab.measure(`${transport} bytes verified`, result.verified, 'bytes', `of ${2 * result.samples.length * messageBytes + totalBytes}`);
}
// The same again in native loops: what is left of each round trip without Node's work per message.
for (const [transport, address] of addresses) await nativeFigures(transport, address);
if (pingPongs.length === 2) {
  const text = pingPongs
    .map((p) => {
      const sorted = [...p.result.samples].sort((a, b) => a - b);
      return `${p.transport}: round trip p10/p50/p90 ${[10, 50, 90].map((q) => roundUs(percentile(sorted, q))).join('/')} µs, throughput ${p.result.mbPerSecond.toFixed(0)} MB/s`;
    })
    .join('; ');
  lab.note(
    `${text}. The kernel time each transport cost is in the check (from /proc/<pid>/stat around each batch). ` +
      'What Node does per message (a write call, framing, checks) is the same on both, and it is a large part of each round trip.',
  );
}
