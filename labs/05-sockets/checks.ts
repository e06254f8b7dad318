/**
 * Checks over the student's own run of the sockets lab. Each says whether the trace shows the
 * behaviour the step is about, and what it showed. Times are the events' `ts` (CLOCK_MONOTONIC in ns,
 * the same clock in every process), compared as BigInt; never `seq`, the order events reached the host.
 * Where the kernel view is the evidence, the programs ask for it (lab.snapshot) while they hold what the
 * check looks for, and the check reads the snapshots taken for that request.
 */
import { defineChecks, eventsOf, formatBytes, type RunTrace } from '../../main/engine/check-kit.js';
import type { StoredEventOf } from '../../main/contract/trace-events.js';
import { KERNEL_TIME_MIN_MS, MORE_BATCHES_AT_MOST, MS_PER_CLOCK_TICK } from './programs/kernel-clock.js';

type Snapshot = StoredEventOf<'kernel.snapshot'>;
type SnapshotRequest = StoredEventOf<'snapshot.request'>;

const t = (e: { ts: string }): bigint => BigInt(e.ts);
const msOf = (ns: bigint): number => Number(ns / 1000n) / 1000;

function measureOf(trace: RunTrace, name: string, role?: string): number | undefined {
  return eventsOf(trace, 'measure', role).find((m) => m.name === name)?.value;
}

function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

/** The failed bind of a role, if its server never listened: the evidence for "why nothing connected". */
function bindFailure(trace: RunTrace, role: string): StoredEventOf<'io.error'> | undefined {
  return eventsOf(trace, 'io.error', role).find((e) => e.op === 'bind');
}

function hintForBind(error: StoredEventOf<'io.error'>): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return `The server's bind failed with EADDRINUSE: another socket already listens on that port (\`ss -ltnp\` names its process). Choose another port, or 0 to let the kernel pick a free one.`;
    case 'EACCES':
      return "The server's bind failed with EACCES: ports below ip_unprivileged_port_start (1024) need root or CAP_NET_BIND_SERVICE. Choose a port of 1024 or more, or 0.";
    default:
      return `The server's bind failed with ${error.code}: see the io.error in its lane for the fix.`;
  }
}

/**
 * The kernel view at a lab.snapshot() request: for each process, the snapshot the engine took for it
 * (marked `requested`, stamped after the request and before the next one). The engine records a
 * requested snapshot for every live process, so a process missing here was not running.
 */
function viewAt(trace: RunTrace, request: SnapshotRequest): Map<number, Snapshot> {
  const view = new Map<number, Snapshot>();
  for (const s of eventsOf(trace, 'kernel.snapshot')) {
    if (s.requested !== request.reason || t(s) < t(request) || view.has(s.pid)) continue;
    view.set(s.pid, s);
  }
  return view;
}

/**
 * Where the kernel view should open to show a request's snapshots: the latest of them. The view shows
 * each process as its last snapshot at or before the cursor, and the requested ones are stamped after
 * the request.
 */
function momentOfView(trace: RunTrace, request: SnapshotRequest): string {
  let latest = t(request);
  for (const s of viewAt(trace, request).values()) if (t(s) > latest) latest = t(s);
  return latest.toString();
}

function requestsOf(trace: RunTrace, role: string, reason: (r: string) => boolean): SnapshotRequest[] {
  return eventsOf(trace, 'snapshot.request', role).filter((r) => reason(r.reason));
}

function median(values: bigint[]): bigint | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * The TCP sockets the server held when the clients looked: at each snapshot a client asked for, the
 * socket descriptors of the server's process that /proc/net/tcp knows (the listening one and one per
 * accepted connection; IPC Lab's own trace channel is not TCP). The most at any one snapshot, or
 * nothing when no such snapshot of the server was taken.
 */
function serverSockets(trace: RunTrace, serverPid: number): Record<string, number> {
  const counts = requestsOf(trace, 'client', () => true).flatMap((request) => {
    const server = viewAt(trace, request).get(serverPid);
    return server ? [server.fds.filter((fd) => fd.socket?.transport === 'tcp' && !fd.runtime).length] : [];
  });
  return counts.length > 0 ? { 'server-sockets': Math.max(...counts) } : {};
}

/** The uid in force at each failed bind: the last 'uid' measure of that process before it, by time. */
function bindErrorsWithUid(trace: RunTrace): { error: StoredEventOf<'io.error'>; uid: number | undefined }[] {
  const uids = eventsOf(trace, 'measure').filter((m) => m.name === 'uid');
  return eventsOf(trace, 'io.error')
    .filter((e) => e.op === 'bind')
    .map((error) => {
      const before = uids.filter((m) => m.pid === error.pid && t(m) <= t(error));
      return { error, uid: before.at(-1)?.value };
    });
}

/**
 * Delayed ACK on Linux (include/net/tcp.h): the receiver waits at least TCP_DELACK_MIN (HZ/25, 40 ms)
 * and at most TCP_DELACK_MAX (HZ/5, 200 ms) before acknowledging alone. A timer of 40 ms fires after at
 * least 40 ms less one tick (jiffies: 4 ms at HZ=250, 10 ms at HZ=100); a loaded machine adds to it, never
 * takes from it. The upper bound leaves room for a scheduler that is late by a time slice or two.
 */
const DELAYED_ACK_LOW_NS = 30_000_000n;
const DELAYED_ACK_HIGH_NS = 300_000_000n;
/** A request that did not wait for the timer: far below its minimum, even on a loaded machine. */
const NO_WAIT_NS = 20_000_000n;

/** Fewer round trips than this per transport say more about the scheduler than about the transport. */
const ROUND_TRIPS_MIN = 1000;

/**
 * How far the client that vanished got: the server's message.receive events on that client's channel.
 * The server names the channel by the client's number; which client it was, the trace says by address:
 * the client whose socket.connect has, as its own address, the remote end of the connection that ended early.
 */
function messagesBefore(trace: RunTrace, early: StoredEventOf<'socket.close'>): Record<string, number> {
  const client = eventsOf(trace, 'socket.connect', 'client').find((c) => c.local === early.remote);
  if (!client) return {};
  const received = eventsOf(trace, 'message.receive', 'server').filter((m) => m.channel === client.channel && t(m) <= t(early));
  return { 'messages-before-vanishing': received.length };
}

/**
 * The kernel's own account of each ping-pong batch of the transports step: the CPU time both processes
 * spent in the kernel (/proc/<pid>/stat stime, 10 ms ticks) and the client's write() calls
 * (/proc/<pid>/io syscw), between the snapshots the client asked for before and after the batch; and
 * when the batch's round trips started, by the client's note after the first snapshot (the snapshot
 * events themselves are stamped before the engine has finished reading /proc).
 */
function kernelAccount(trace: RunTrace) {
  return (['unix', 'tcp'] as const).map((tr) => {
    const befores = requestsOf(trace, 'client', (r) => r.startsWith(`before ${tr} batch `));
    const batches = befores.flatMap((before) => {
      const index = before.reason.slice(`before ${tr} batch `.length);
      const after = requestsOf(trace, 'client', (r) => r === `after ${tr} batch ${index}`).find((r) => t(r) > t(before));
      if (!after) return [];
      const [v0, v1] = [viewAt(trace, before), viewAt(trace, after)];
      let systemMs = 0;
      let sampled = 0;
      for (const [pid, s0] of v0) {
        const s1 = v1.get(pid);
        if (!s0.cpu || !s1?.cpu) continue;
        systemMs += s1.cpu.systemMs - s0.cpu.systemMs;
        sampled++;
      }
      const c0 = v0.get(before.pid)?.io;
      const c1 = v1.get(before.pid)?.io;
      const writes = c0 && c1 ? c1.syscw - c0.syscw : 0;
      const p50 = measureOf(trace, `${tr} batch ${index} round trip p50`, 'client');
      const start = eventsOf(trace, 'note', 'client').find(
        (n) => n.pid === before.pid && t(n) > t(before) && t(n) < t(after) && n.text.startsWith(`${tr} batch ${index}: `),
      );
      return [{ systemMs, sampled, writes, p50, after, start }];
    });
    const systemMs = batches.reduce((sum, b) => sum + b.systemMs, 0);
    const writes = batches.reduce((sum, b) => sum + b.writes, 0);
    return { tr, batches, systemMs, writes };
  });
}

/**
 * What the kernel's account says per round trip, for the questions: the average round trip (the
 * batches' time per write() the kernel counted, one write per round trip), and the kernel time per
 * round trip once it adds up to enough 10 ms ticks to say anything (the check's own threshold); the
 * ratios when both transports have one.
 */
function transportMeasurements(account: ReturnType<typeof kernelAccount>): Record<string, number> {
  const measurements: Record<string, number> = {};
  const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
  for (const m of account) {
    if (m.batches.length === 0 || m.writes <= 0) continue;
    if (m.batches.every((b) => b.start && b.writes > 0)) {
      const ns = m.batches.reduce((sum, b) => sum + (t(b.after) - t(b.start!)), 0n);
      measurements[`${m.tr}-round-trip`] = round(Number(ns) / 1000 / m.writes, 1);
    }
    if (m.batches.every((b) => b.sampled >= 2) && m.systemMs >= KERNEL_TIME_MIN_MS && m.writes >= ROUND_TRIPS_MIN)
      measurements[`${m.tr}-kernel-time`] = round((m.systemMs * 1000) / m.writes, 1);
  }
  for (const what of ['round-trip', 'kernel-time']) {
    const [unix, tcp] = [measurements[`unix-${what}`], measurements[`tcp-${what}`]];
    if (unix !== undefined && tcp !== undefined && unix > 0) measurements[`tcp-to-unix-${what}`] = round(tcp / unix, 2);
  }
  return measurements;
}

/**
 * The native loops' round trips (echo-client.ts, main/native/measure-loops.c): each loop is one
 * io.begin / io.end pair in the client's lane, stamped by the runtime just before and just after it,
 * so the average round trip is that interval over the round trips asked for; the ratio when both ran.
 */
function nativeMeasurements(trace: RunTrace): Record<string, number> {
  const measurements: Record<string, number> = {};
  const trips = Number(trace.params.roundTrips);
  for (const tr of ['unix', 'tcp']) {
    const channel = `${tr}-native-ping-pong`;
    const begin = eventsOf(trace, 'io.begin', 'client').find((e) => e.channel === channel);
    const end = begin && eventsOf(trace, 'io.end', 'client').find((e) => e.channel === channel && t(e) > t(begin));
    if (end && end.bytes === 2 * trips * Number(trace.params.messageBytes))
      measurements[`native-${tr}-round-trip`] = Math.round(Number(t(end) - t(begin!)) / 100 / trips) / 10;
  }
  const [unix, tcp] = [measurements['native-unix-round-trip'], measurements['native-tcp-round-trip']];
  if (unix !== undefined && tcp !== undefined && unix > 0) measurements['native-tcp-to-unix-round-trip'] = Math.round((tcp / unix) * 100) / 100;
  return measurements;
}

/** What the native loops showed, for the check's detail: "" when they did not run. */
function nativeDetail(trace: RunTrace, measurements: Record<string, number>): string {
  const parts = ['unix', 'tcp'].flatMap((tr) => {
    const average = measurements[`native-${tr}-round-trip`];
    if (average === undefined) return [];
    const p50 = measureOf(trace, `native ${tr} round trip p50`, 'client');
    const rate = measureOf(trace, `native ${tr} throughput`, 'client');
    return [`${tr} round trip ${average} µs on average${p50 === undefined ? '' : ` (p50 ${p50} µs)`}${rate === undefined ? '' : `, throughput ${rate} MB/s`}`];
  });
  if (parts.length === 0) return '';
  const ratio = measurements['native-tcp-to-unix-round-trip'];
  return ` The same round trips and stream in C loops (main/native/measure-loops.c), on the same sockets: ${parts.join('; ')}${ratio === undefined ? '' : `; TCP's average round trip is ${ratio} times the Unix socket's there`}.`;
}

export default defineChecks({
  'connections-at-both-ends': {
    title: 'Every client connection was seen at both ends as the same pair of addresses, each client with its own ephemeral port',
    hint: "Each client's socket.connect (its local address, the server's address) should have a socket.accept in the server's lane with the same two addresses, reversed.",
    check(trace) {
      const bindError = bindFailure(trace, 'server');
      if (bindError) return { passed: false, detail: `The server never listened: ${bindError.message}`, hint: hintForBind(bindError), moment: bindError.ts };
      const connects = eventsOf(trace, 'socket.connect', 'client').filter((e) => e.transport === 'tcp');
      const accepts = eventsOf(trace, 'socket.accept', 'server');
      const failed = eventsOf(trace, 'io.error', 'client').filter((e) => e.op === 'connect');
      const expected = Number(trace.params.clients);
      if (connects.length !== expected) {
        const why = failed[0];
        return {
          passed: false,
          detail: `${connects.length} of ${expected} clients connected${why ? `; ${why.message}` : '.'}`,
          ...(why?.code === 'EADDRNOTAVAIL'
            ? {
                hint: "The clients all bound the same local port before connecting, so the second one asked for a pair (local address, server address) that already existed. Let the kernel choose each client's port (Port each client binds: 0).",
              }
            : {}),
          ...(why ? { moment: why.ts } : {}),
        };
      }
      const unmatched = connects.filter((c) => !accepts.some((a) => a.local === c.remote && a.remote === c.local));
      if (unmatched.length > 0)
        return {
          passed: false,
          detail: `The server accepted no connection matching ${unmatched.map((c) => `(${c.local}, ${c.remote})`).join(', ')}.`,
          moment: unmatched[0]!.ts,
        };
      const ports = connects.map((c) => portOf(c.local));
      if (new Set(ports).size !== ports.length)
        return { passed: false, detail: `Two clients had the same port: ${ports.join(', ')}.`, moment: connects[0]!.ts };
      const low = measureOf(trace, 'ephemeral port range low');
      const high = measureOf(trace, 'ephemeral port range high');
      const bound = Number(trace.params.clientPort ?? 0) !== 0;
      const outside = low !== undefined && high !== undefined && !bound ? ports.filter((p) => p < low || p > high) : [];
      if (outside.length > 0) return { passed: false, detail: `Ports ${outside.join(', ')} are outside the ephemeral range ${low}–${high}.` };
      const server = connects[0]!.remote;
      const lastAccept = accepts.reduce((a, b) => (t(b) > t(a) ? b : a));
      // The kernel view shows the same pairs: open it at the first kernel snapshot a client asked for
      // once every connection was accepted, if there is one.
      const look = eventsOf(trace, 'snapshot.request', 'client').find((r) => t(r) > t(lastAccept));
      return {
        passed: true,
        detail: `${connects.length} connections to ${server}, each seen by its client and by the server: ${connects.map((c) => `(${c.local}, ${c.remote})`).join(', ')}. Ports ${ports.join(', ')}, all different${low !== undefined && !bound ? `, inside the ephemeral range ${low}–${high}` : ''}.`,
        moment: look ? momentOfView(trace, look) : lastAccept.ts,
      };
    },
  },
  'kernel-shows-connections': {
    title: "While the connections were open, the kernel's socket table showed the listening socket in LISTEN and both ends of every connection ESTABLISHED",
    hint: 'Each client asks for a kernel snapshot (lab.snapshot) once the server has accepted everyone; its connection must still be open then.',
    measures: {
      'server-sockets': { unit: 'sockets', title: "TCP sockets among the server's descriptors at the snapshots the clients asked for (the most at any one)" },
    },
    check(trace) {
      const bindError = bindFailure(trace, 'server');
      if (bindError) return { passed: false, detail: `The server never listened: ${bindError.message}`, hint: hintForBind(bindError), moment: bindError.ts };
      const listenEvent = eventsOf(trace, 'socket.listen', 'server')[0];
      if (!listenEvent) return { passed: false, detail: 'The server did not listen.' };
      const measurements = serverSockets(trace, listenEvent.pid);
      const connects = eventsOf(trace, 'socket.connect', 'client').filter((c) => c.transport === 'tcp');
      if (connects.length === 0) return { passed: false, detail: 'No client connected: there was no connection for the kernel to show.', measurements };
      // Each connection in the snapshots its own client asked for: the engine has surely read the trace
      // of the process that asks, so that process and the server (long started) are both in the view.
      const seen = connects.map((c) => {
        const requests = eventsOf(trace, 'snapshot.request', 'client').filter((r) => r.pid === c.pid && t(r) > t(c));
        const views = requests.map((request) => {
          const view = viewAt(trace, request);
          const sockets = (pid: number) => (view.get(pid)?.fds ?? []).flatMap((fd) => (fd.socket?.transport === 'tcp' ? [fd.socket] : []));
          return {
            request,
            listening: sockets(listenEvent.pid).some((s) => s.local === listenEvent.address && s.state === 'LISTEN'),
            atServer: sockets(listenEvent.pid).find((s) => s.local === c.remote && s.remote === c.local)?.state,
            atClient: sockets(c.pid).find((s) => s.local === c.local && s.remote === c.remote)?.state,
          };
        });
        return { c, views, shown: views.find((v) => v.listening && v.atServer === 'ESTABLISHED' && v.atClient === 'ESTABLISHED') };
      });
      const notLooked = seen.filter((x) => x.views.length === 0);
      if (notLooked.length > 0)
        return {
          passed: false,
          detail: `${notLooked.length} of ${connects.length} clients never asked for a kernel snapshot after connecting, so no kernel view was taken while they held their connection.`,
          moment: notLooked[0]!.c.ts,
          measurements,
        };
      const missing = seen.filter((x) => !x.shown);
      if (missing.length > 0) {
        const x = missing[0]!;
        const v = x.views[0]!;
        const closed = eventsOf(trace, 'socket.close', 'client').some((e) => e.pid === x.c.pid && t(e) < t(v.request));
        return {
          passed: false,
          detail:
            `At the snapshots the clients asked for, /proc/net/tcp showed ${seen.length - missing.length} of ${connects.length} connections ESTABLISHED at both ends. ` +
            `At "${v.request.reason}", ${x.c.local} → ${x.c.remote} was ${v.atClient ?? "not among the client's descriptors"} in the client and ${v.atServer ?? "not among the server's descriptors"} in the server${v.listening ? '' : `, and ${listenEvent.address} was not in LISTEN`}.`,
          hint: closed
            ? "The client looked after it had closed its connection: a closed socket leaves the process's descriptors (the side that closed first keeps the connection in TIME_WAIT, held by no process). Let the clients look while the connection is open."
            : 'Look for an io.error in the lanes: a connection the server never accepted has no server end to show.',
          moment: momentOfView(trace, v.request),
          measurements,
        };
      }
      const first = seen[0]!.shown!;
      return {
        passed: true,
        detail: `At the snapshots the clients asked for while connected, /proc/net/tcp showed ${listenEvent.address} in LISTEN in the server and all ${connects.length} connections ESTABLISHED at both ends, e.g. ${seen[0]!.c.local} → ${seen[0]!.c.remote} in the client and the same pair reversed in the server.`,
        moment: momentOfView(trace, first.request),
        measurements,
      };
    },
  },
  'unprivileged-bind-refused': {
    title: "An ordinary user's bind() of a port below the unprivileged start was refused with EACCES",
    hint: 'Use a port below /proc/sys/net/ipv4/ip_unprivileged_port_start (1024), and when the app runs as root, let the program drop to the ordinary user nobody.',
    check(trace) {
      const start = measureOf(trace, 'ip_unprivileged_port_start') ?? 1024;
      const port = Number(trace.params.port);
      if (port >= start)
        return {
          passed: false,
          detail: `Port ${port} is not below ip_unprivileged_port_start (${start}): any user may bind it, so EACCES cannot happen.`,
          hint: `Choose a port below ${start}, e.g. 80.`,
        };
      const errors = bindErrorsWithUid(trace);
      const refused = errors.find((b) => b.error.code === 'EACCES' && b.uid !== undefined && b.uid !== 0);
      const uidMeasures = eventsOf(trace, 'measure').filter((m) => m.name === 'uid');
      const rootOnly = uidMeasures.length > 0 && uidMeasures.every((m) => m.value === 0);
      if (!refused) {
        const other = errors.find((b) => b.error.code !== 'EACCES');
        return {
          passed: false,
          detail: rootOnly
            ? `Only root (uid 0) tried to bind port ${port}, and the kernel lets root bind any port.`
            : other
              ? `The bind of port ${port} failed with ${other.error.code}, not EACCES: ${other.error.message}`
              : `No ordinary user's bind of port ${port} was refused with EACCES.`,
          ...(rootOnly ? { hint: 'Let the program give up root (When root: try again as the ordinary user nobody).' } : {}),
          ...(other ? { hint: `${other.error.code} is not a permission problem: see the fix in the io.error.`, moment: other.error.ts } : {}),
        };
      }
      const rootBound = eventsOf(trace, 'socket.listen').some((l) => t(l) < t(refused.error)) && !rootOnly;
      return {
        passed: true,
        detail: `uid ${refused.uid} got EACCES binding 127.0.0.1:${port} (below ${start})${rootBound ? '; root, before dropping its privileges, bound it' : ''}.`,
        moment: refused.error.ts,
      };
    },
  },
  'loopback-only': {
    title: "A server bound to 127.0.0.1 answered at 127.0.0.1 and refused the machine's other address",
    hint: 'Bind the server to 127.0.0.1: bound to 0.0.0.0 it accepts connections to every address of the machine.',
    check(trace) {
      const listenEvent = eventsOf(trace, 'socket.listen', 'server')[0];
      const bindError = bindFailure(trace, 'server');
      if (!listenEvent)
        return { passed: false, detail: 'The server did not listen.', ...(bindError ? { hint: hintForBind(bindError), moment: bindError.ts } : {}) };
      const viaLoopback = eventsOf(trace, 'socket.connect', 'client').find((e) => e.channel === 'via-loopback');
      const otherOk = eventsOf(trace, 'socket.connect', 'client').find((e) => e.channel === 'via-other-address');
      const otherRefused = eventsOf(trace, 'io.error', 'client').find((e) => e.channel === 'via-other-address' && e.op === 'connect');
      if (!viaLoopback)
        return { passed: false, detail: `The client could not connect to the server at 127.0.0.1 (bound to ${listenEvent.address}).`, moment: listenEvent.ts };
      if (otherOk)
        return {
          passed: false,
          detail: `Bound to ${listenEvent.address}, the server also answered at ${otherOk.remote}: it is not loopback-only.`,
          moment: otherOk.ts,
        };
      if (!otherRefused || otherRefused.code !== 'ECONNREFUSED')
        return {
          passed: false,
          detail: `The other address ${otherRefused ? `failed with ${otherRefused.code}, not ECONNREFUSED` : 'was never tried'}.`,
          ...(otherRefused ? { hint: `${otherRefused.code}: ${otherRefused.message}`, moment: otherRefused.ts } : {}),
        };
      const other = /connect (\S+):/.exec(otherRefused.message)?.[1] ?? 'the other address';
      return {
        passed: true,
        detail: `Bound to ${listenEvent.address}: ${viaLoopback.remote} answered (from ${viaLoopback.local}); ${other} was refused (ECONNREFUSED: this machine's kernel answered the SYN with a reset), though it is this same machine.`,
        moment: otherRefused.ts,
      };
    },
  },
  'transports-compared': {
    title:
      "The same echo code ran over a Unix socket and over TCP, every byte verified; the kernel's own counters measured both with enough samples, and the spread is reported",
    hint: "Measure both transports (Transports to measure: both) with enough round trips for /proc/<pid>/stat's 10 ms ticks to add up (the step's 20000).",
    measures: {
      'unix-round-trip': {
        unit: 'µs',
        title:
          "a Unix-socket round trip on average: the batches' time, from the client's note at their start to its snapshot after them, per write() the kernel counted",
      },
      'tcp-round-trip': {
        unit: 'µs',
        title:
          "a TCP round trip on average: the batches' time, from the client's note at their start to its snapshot after them, per write() the kernel counted",
      },
      'tcp-to-unix-round-trip': { unit: 'times', title: 'the average TCP round trip divided by the average Unix-socket one' },
      'unix-kernel-time': { unit: 'µs', title: 'CPU time both processes spent in the kernel (/proc/<pid>/stat stime) per Unix-socket round trip' },
      'tcp-kernel-time': { unit: 'µs', title: 'CPU time both processes spent in the kernel (/proc/<pid>/stat stime) per TCP round trip' },
      'tcp-to-unix-kernel-time': { unit: 'times', title: "TCP's kernel time per round trip divided by the Unix socket's" },
      'native-unix-round-trip': {
        unit: 'µs',
        title: "a Unix-socket round trip in the C loops on average: the client's io.begin to io.end around its pingLoop, per round trip asked for",
      },
      'native-tcp-round-trip': {
        unit: 'µs',
        title: "a TCP round trip in the C loops on average: the client's io.begin to io.end around its pingLoop, per round trip asked for",
      },
      'native-tcp-to-unix-round-trip': { unit: 'times', title: 'in the C loops, the average TCP round trip divided by the average Unix-socket one' },
    },
    check(trace) {
      const measurements = { ...transportMeasurements(kernelAccount(trace)), ...nativeMeasurements(trace) };
      const verified = (tr: string) => measureOf(trace, `${tr} bytes verified`, 'client');
      // The client goes on past the round trips asked for while the kernel's clock has counted too
      // little (echo-client.ts): it says how many it made, every one compared both ways.
      const roundTrips = (tr: string) => measureOf(trace, `${tr} round trips`, 'client');
      const expected = (tr: string) => 2 * roundTrips(tr)! * Number(trace.params.messageBytes) + Number(trace.params.totalBytes);
      const missing = ['unix', 'tcp'].filter((tr) => verified(tr) === undefined || roundTrips(tr) === undefined);
      if (missing.length > 0)
        return { passed: false, detail: `Not measured: ${missing.join(' and ')}. Both transports must run to compare them.`, measurements };
      const asked = Number(trace.params.roundTrips);
      const cut = ['unix', 'tcp'].filter((tr) => roundTrips(tr)! < asked);
      if (cut.length > 0)
        return {
          passed: false,
          detail: cut.map((tr) => `${tr}: ${roundTrips(tr)} of the ${asked} round trips asked for`).join('; ') + '.',
          hint: "Look for an io.error in the client's lane: where its ping-pong stopped, and why.",
          measurements,
        };
      const short = ['unix', 'tcp'].filter((tr) => verified(tr) !== expected(tr));
      if (short.length > 0)
        return {
          passed: false,
          detail: short.map((tr) => `${tr}: ${verified(tr)} of ${expected(tr)} bytes verified`).join('; ') + '.',
          hint: "Look for an io.error in the client's lane: which message differed, and where.",
          measurements,
        };

      const perTransport = kernelAccount(trace);
      for (const m of perTransport) {
        if (m.batches.length === 0 || m.batches.some((b) => b.sampled < 2))
          return {
            passed: false,
            detail: `${m.tr}: no kernel snapshots of both processes around its ping-pong batches, so the kernel's counters say nothing about it.`,
            measurements,
          };
        if (m.writes < ROUND_TRIPS_MIN)
          return {
            passed: false,
            detail: `${m.tr}: the kernel counted ${m.writes} write() calls by the client during its round trips: fewer than ${ROUND_TRIPS_MIN}, too few samples to compare.`,
            hint: `Run more round trips (the step's 20000): a batch of ${m.writes} says more about the scheduler than about the transport.`,
            moment: m.batches[0]!.after.ts,
            measurements,
          };
        if (m.systemMs < KERNEL_TIME_MIN_MS)
          return {
            passed: false,
            detail: `${m.tr}: both processes spent ${m.systemMs} ms in the kernel over ${m.writes} round trips in ${m.batches.length} batches, by /proc/<pid>/stat: fewer than ${KERNEL_TIME_MIN_MS / MS_PER_CLOCK_TICK} ticks of its ${MS_PER_CLOCK_TICK} ms clock, too coarse to compare.`,
            hint: `Run more round trips (the step's 20000): the kernel counts CPU time in ${MS_PER_CLOCK_TICK} ms ticks, and ${m.systemMs} ms is ${m.systemMs / MS_PER_CLOCK_TICK} of them. The client goes on for up to ${MORE_BATCHES_AT_MOST} times the batches asked for until it has ${KERNEL_TIME_MIN_MS / MS_PER_CLOCK_TICK} on each transport, and these did not add up to that.`,
            moment: m.batches[0]!.after.ts,
            measurements,
          };
      }
      const range = (values: number[], digits: number) => {
        const [lo, hi] = [Math.min(...values), Math.max(...values)];
        return lo === hi ? lo.toFixed(digits) : `${lo.toFixed(digits)}–${hi.toFixed(digits)}`;
      };
      const describe = (m: (typeof perTransport)[number]) => {
        const usPerTrip = m.batches.map((b) => (b.systemMs * 1000) / Math.max(1, b.writes));
        const p50s = m.batches.flatMap((b) => (b.p50 !== undefined ? [b.p50] : []));
        return {
          usPerTrip,
          text: `${m.tr}: ${m.writes} round trips in ${m.batches.length} batches, kernel time ${range(usPerTrip, 1)} µs per round trip (both processes, ${m.systemMs} ms in all), round trip p50 ${range(p50s, 1)} µs, throughput ${measureOf(trace, `${m.tr} throughput`, 'client')} MB/s`,
        };
      };
      const [unix, tcp] = perTransport.map(describe);
      const overlap = Math.max(...unix!.usPerTrip) >= Math.min(...tcp!.usPerTrip) && Math.max(...tcp!.usPerTrip) >= Math.min(...unix!.usPerTrip);
      const last = perTransport.flatMap((m) => m.batches.map((b) => b.after)).reduce((a, b) => (t(b) > t(a) ? b : a));
      return {
        passed: true,
        detail:
          (expected('unix') === expected('tcp')
            ? `${formatBytes(expected('unix'))} verified on each. `
            : `${formatBytes(expected('unix'))} verified on unix, ${formatBytes(expected('tcp'))} on tcp. `) +
          `${unix!.text}; ${tcp!.text}. ` +
          (overlap
            ? "The batches' kernel times overlap: this run does not separate the two."
            : `In this run every ${Math.max(...unix!.usPerTrip) < Math.min(...tcp!.usPerTrip) ? 'unix' : 'tcp'} batch cost the kernel less than every other batch; run again to see whether that holds.`) +
          nativeDetail(trace, measurements),
        moment: momentOfView(trace, last),
        measurements,
      };
    },
  },
  'server-survived-disconnect': {
    title: 'The server saw one client vanish mid-stream and finished serving all the others',
    hint: 'Choose a failing client (1 to the number of clients): the server should record its early close and still acknowledge every other client.',
    measures: {
      'messages-before-vanishing': { unit: 'messages', title: 'messages the server received from the client that vanished, before its connection ended' },
    },
    check(trace) {
      const clients = Number(trace.params.clients);
      const messages = Number(trace.params.messages);
      const closes = eventsOf(trace, 'socket.close', 'server');
      const early = closes.filter((c) => c.how !== 'local' && /vanished mid-stream/.test(c.detail ?? ''));
      const measurements = early.length === 1 ? messagesBefore(trace, early[0]!) : {};
      const completeCloses = closes.filter((c) => /all \d+ messages/.test(c.detail ?? ''));
      const acked = eventsOf(trace, 'note', 'client').filter((n) => n.text.startsWith(`the server answered: got ${messages}`)).length;
      const failing = Number(trace.params.failingClient);
      if (early.length === 0)
        return {
          passed: false,
          detail: `No client vanished: the server saw ${closes.length} connections end, every one after all its messages.`,
          ...(failing > clients ? { hint: `Client ${failing} does not exist (there are ${clients}): choose a failing client from 1 to ${clients}.` } : {}),
        };
      if (early.length > 1) return { passed: false, detail: `${early.length} clients vanished, not one.`, moment: early[1]!.ts };
      if (completeCloses.length !== clients - 1 || acked !== clients - 1)
        return {
          passed: false,
          detail: `Of the ${clients - 1} other clients, ${completeCloses.length} sent everything and ${acked} got the server's acknowledgement.`,
          moment: early[0]!.ts,
          measurements,
        };
      const e = early[0]!;
      const afterIt = completeCloses.filter((c) => t(c) > t(e)).length;
      return {
        passed: true,
        detail: `${e.detail?.replace(/^.*?; /, '')} (the server saw ${e.how === 'reset' ? 'a reset, RST: ECONNRESET' : 'an early end of file, FIN'}, after ${e.bytesIn} bytes); the other ${clients - 1} clients each sent all ${messages} messages and got their acknowledgement${afterIt > 0 ? `, ${afterIt} of them finishing after client ${failing} was gone` : ''}.`,
        moment: e.ts,
        measurements,
      };
    },
  },
  'stale-socket-recovered': {
    title: 'After a SIGKILL left a stale socket file, the restarted server found nobody listening, removed it and bound again',
    hint: 'The restarted server gets EADDRINUSE; it must connect to find out (ECONNREFUSED), unlink the file and bind again.',
    check(trace) {
      const killed = eventsOf(trace, 'child.exit', 'keeper').find((e) => e.childRole === 'server' && e.signal === 'SIGKILL');
      if (!killed) return { passed: false, detail: 'No server was killed with SIGKILL.' };
      const after = (e: { ts: string }) => t(e) > t(killed);
      const inUse = eventsOf(trace, 'io.error', 'server').find((e) => after(e) && e.op === 'bind' && e.code === 'EADDRINUSE');
      const refused = eventsOf(trace, 'io.error', 'server').find((e) => after(e) && e.op === 'connect' && e.code === 'ECONNREFUSED');
      const first = eventsOf(trace, 'socket.listen', 'server').find((e) => e.pid === killed.childPid);
      const relisten = eventsOf(trace, 'socket.listen', 'server').find((e) => after(e) && e.pid !== killed.childPid);
      if (!inUse)
        return { passed: false, detail: "The restarted server's bind did not fail with EADDRINUSE: no stale file was in its way.", moment: killed.ts };
      if (!refused) return { passed: false, detail: 'The restarted server did not check whether anybody listened (no ECONNREFUSED).', moment: inUse.ts };
      if (!relisten || !first || relisten.address !== first.address || t(relisten) < t(refused))
        return {
          passed: false,
          detail: `The restarted server did not bind ${first?.address ?? 'the path'} again: the stale file stayed in its way.`,
          hint: 'The restarted server found the file stale (ECONNREFUSED) but left it: it must unlink() it before binding again (The restarted server removes a stale socket file).',
          moment: refused.ts,
        };
      // The kernel view the keeper asked for after the kill: the file among the run's objects (the
      // latest kernel.objects at that moment: it is recorded only when it changes), and no process with
      // a Unix socket listening on it.
      const look = eventsOf(trace, 'snapshot.request', 'keeper').find((r) => after(r));
      const lookMoment = look ? momentOfView(trace, look) : undefined;
      const objects =
        lookMoment === undefined
          ? undefined
          : eventsOf(trace, 'kernel.objects')
              .filter((o) => t(o) <= BigInt(lookMoment))
              .at(-1);
      const listening = look
        ? [...viewAt(trace, look).values()].some((v) =>
            v.fds.some((fd) => fd.socket?.transport === 'unix' && fd.socket.local === first.address && fd.socket.state === 'LISTEN'),
          )
        : true;
      const seen = (objects?.socket ?? []).some((o) => o.path === first.address) && !listening;
      return {
        passed: true,
        detail: `pid ${killed.childPid} was killed; pid ${relisten.pid} got EADDRINUSE on ${first.address}, then ECONNREFUSED (nobody listened), unlinked it and listens again${seen ? ". In between, the kernel view showed the file among the run's objects with no process listening on it" : ''}.`,
        moment: seen && lookMoment ? lookMoment : refused.ts,
      };
    },
  },
  'nagle-stall': {
    title: 'With Nagle on, a request written as two small writes waited for the delayed-ACK timer (40 to 200 ms); TCP_NODELAY or one write did not',
    hint: 'The first variant must write the header and the body separately, with Nagle on (Write the header and the body separately).',
    measures: {
      'nagle-round-trip': { unit: 'ms', title: 'median round trip of the requests written as header then body with Nagle on' },
      'nagle-to-server': {
        unit: 'ms',
        title: 'median time from the client starting a request (Nagle on, two writes) to the whole request reaching the server',
      },
      'nodelay-round-trip': { unit: 'ms', title: 'median round trip of the requests written as two writes with TCP_NODELAY' },
      'one-write-round-trip': { unit: 'ms', title: 'median round trip of the requests written in one write with Nagle on' },
      'requests-waited': {
        unit: 'requests',
        title: 'requests of the Nagle variant whose round trip took 30 ms or more: they waited for the delayed-ACK timer',
      },
    },
    check(trace) {
      // Each request: the client's message.send (stamped before its first write), the server's
      // message.receive (the whole request arrived) and the client's message.receive of the answer.
      const variant = (name: string) => {
        const sends = eventsOf(trace, 'message.send', 'client').filter((e) => e.channel === `requests-${name}`);
        const arrived = eventsOf(trace, 'message.receive', 'server').filter((e) => e.channel === `requests-${name}`);
        const answers = eventsOf(trace, 'message.receive', 'client').filter((e) => e.channel === `answers-${name}`);
        const trips = sends.flatMap((send) => {
          const answer = answers.find((a) => a.messageId === send.messageId);
          const atServer = arrived.find((a) => a.messageId === send.messageId);
          return answer && atServer ? [{ send, roundTrip: t(answer) - t(send), toServer: t(atServer) - t(send) }] : [];
        });
        return { trips, roundTrip: median(trips.map((x) => x.roundTrip)), toServer: median(trips.map((x) => x.toServer)) };
      };
      const [nagle, noDelay, oneWrite] = ['nagle', 'nodelay', 'one-write'].map(variant);
      const ms = (ns: bigint | undefined) => (ns === undefined ? undefined : msOf(ns));
      const measurements = Object.fromEntries(
        (
          [
            ['nagle-round-trip', ms(nagle!.roundTrip)],
            ['nagle-to-server', ms(nagle!.toServer)],
            ['nodelay-round-trip', ms(noDelay!.roundTrip)],
            ['one-write-round-trip', ms(oneWrite!.roundTrip)],
            ['requests-waited', nagle!.trips.length > 0 ? nagle!.trips.filter((x) => x.roundTrip >= DELAYED_ACK_LOW_NS).length : undefined],
          ] as const
        ).filter(([, v]) => v !== undefined),
      ) as Record<string, number>;
      if (!nagle!.roundTrip || !noDelay!.roundTrip || !oneWrite!.roundTrip)
        return { passed: false, detail: "The trace does not hold the requests of all three variants: look for an error in the client's lane.", measurements };
      const shown = `median round trips: two writes with Nagle ${msOf(nagle!.roundTrip)} ms, with TCP_NODELAY ${msOf(noDelay!.roundTrip)} ms, one write ${msOf(oneWrite!.roundTrip)} ms`;
      const stalled = nagle!.trips.find((x) => x.roundTrip >= DELAYED_ACK_LOW_NS);
      const moment = stalled ? (t(stalled.send) + stalled.roundTrip / 2n).toString() : nagle!.trips[0]!.send.ts;
      if (nagle!.roundTrip < DELAYED_ACK_LOW_NS)
        return {
          passed: false,
          detail: `No request waited for a delayed ACK (${shown}): the first variant's median is below the timer's 40 ms minimum.`,
          ...(trace.params.separateWrites === false
            ? {}
            : {
                hint: "The first variant wrote separately with Nagle on, yet did not wait: look at its requests in the timeline, and at an io.error in the client's lane.",
              }),
          moment,
          measurements,
        };
      if (nagle!.roundTrip > DELAYED_ACK_HIGH_NS)
        return {
          passed: false,
          detail: `The first variant's median round trip, ${msOf(nagle!.roundTrip)} ms, is longer than the delayed-ACK timer's 200 ms maximum allows: something other than the timer held it.`,
          hint: 'The machine may be overloaded: run again.',
          moment,
          measurements,
        };
      const slowFix = [
        ['TCP_NODELAY', noDelay!],
        ['one write', oneWrite!],
      ].find(([, v]) => (v as typeof noDelay)!.roundTrip! >= NO_WAIT_NS);
      if (slowFix)
        return {
          passed: false,
          detail: `${shown}: the ${slowFix[0]} variant waited too (median at least ${msOf(NO_WAIT_NS)} ms).`,
          hint: 'A fix should not wait for the timer: look at its requests in the timeline.',
          moment,
          measurements,
        };
      if (nagle!.toServer! < DELAYED_ACK_LOW_NS)
        return {
          passed: false,
          detail: `${shown}, but the requests reached the server a median ${msOf(nagle!.toServer!)} ms after the client began them: the wait was not the body held back.`,
          moment,
          measurements,
        };
      return {
        passed: true,
        detail: `${shown}. With Nagle, the whole request reached the server a median ${msOf(nagle!.toServer!)} ms after the client began writing it: the body waited for the ACK of the header, which the server's kernel delayed (40 ms minimum on Linux). ${nagle!.trips.filter((x) => x.roundTrip >= DELAYED_ACK_LOW_NS).length} of ${nagle!.trips.length} requests waited.`,
        moment,
        measurements,
      };
    },
  },
});
