/**
 * Checks over the student's own run of the sockets lab. Each says whether the trace shows the
 * behaviour the step is about, and what it showed.
 */
import { defineChecks, eventsOf, formatBytes, type RunTrace } from '../../main/engine/check-kit.js';
import type { StoredEventOf } from '../../main/contract/trace-events.js';

function measureOf(trace: RunTrace, name: string, role?: string): number | undefined {
  return eventsOf(trace, 'measure', role).find((m) => m.name === name)?.value;
}

function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(':')).replace(/^\[|\]$/g, '');
}

/** Kernel-view sockets of one role's snapshots: every (local, remote, state) /proc/net showed. */
function kernelSockets(trace: RunTrace, role?: string): { local: string; remote?: string; state: string }[] {
  return eventsOf(trace, 'kernel.snapshot', role).flatMap((s) => s.fds.flatMap((fd) => (fd.socket ? [fd.socket] : [])));
}

/** The bind errors and the uid in force when each happened (the last 'uid' measure before it). */
function bindErrorsWithUid(trace: RunTrace): { error: StoredEventOf<'io.error'>; uid: number | undefined }[] {
  let uid: number | undefined;
  const result: { error: StoredEventOf<'io.error'>; uid: number | undefined }[] = [];
  for (const e of trace.events) {
    if (e.kind === 'measure' && e.name === 'uid') uid = e.value;
    if (e.kind === 'io.error' && e.op === 'bind') result.push({ error: e, uid });
  }
  return result;
}

export default defineChecks({
  'connections-at-both-ends': {
    title: 'Every client connection was seen at both ends as the same pair of addresses, each client with its own ephemeral port',
    hint: 'Each client\'s socket.connect (its local address, the server\'s address) should have a socket.accept in the server\'s lane with the same two addresses, reversed.',
    check(trace) {
      const connects = eventsOf(trace, 'socket.connect', 'client').filter((e) => e.transport === 'tcp');
      const accepts = eventsOf(trace, 'socket.accept', 'server');
      const expected = Number(trace.params.clients);
      if (connects.length === 0) return { passed: false, detail: 'No client connected.' };
      if (connects.length !== expected) return { passed: false, detail: `${connects.length} of ${expected} clients connected.` };
      const unmatched = connects.filter((c) => !accepts.some((a) => a.local === c.remote && a.remote === c.local));
      if (unmatched.length > 0)
        return { passed: false, detail: `The server accepted no connection matching ${unmatched.map((c) => `(${c.local}, ${c.remote})`).join(', ')}.` };
      const ports = connects.map((c) => portOf(c.local));
      if (new Set(ports).size !== ports.length) return { passed: false, detail: `Two clients had the same port: ${ports.join(', ')}.` };
      const low = measureOf(trace, 'ephemeral port range low');
      const high = measureOf(trace, 'ephemeral port range high');
      const outside = low !== undefined && high !== undefined ? ports.filter((p) => p < low || p > high) : [];
      if (outside.length > 0) return { passed: false, detail: `Ports ${outside.join(', ')} are outside the ephemeral range ${low}–${high}.` };
      const server = connects[0]!.remote;
      return {
        passed: true,
        detail: `${connects.length} connections to ${server}, each seen by its client and by the server: ${connects.map((c) => `(${c.local}, ${c.remote})`).join(', ')}. Ports ${ports.join(', ')}, all different${low !== undefined ? `, inside the ephemeral range ${low}–${high}` : ''}.`,
      };
    },
  },
  'kernel-shows-connections': {
    title: 'The kernel\'s socket table showed the listening socket in LISTEN and every connection ESTABLISHED',
    hint: 'The kernel view samples /proc every 250 ms while processes live: let the clients hold their connections longer (about a second).',
    check(trace) {
      const listenEvent = eventsOf(trace, 'socket.listen', 'server')[0];
      if (!listenEvent) return { passed: false, detail: 'The server did not listen.' };
      const sockets = kernelSockets(trace);
      const listening = sockets.some((s) => s.local === listenEvent.address && s.state === 'LISTEN');
      const connects = eventsOf(trace, 'socket.connect', 'client');
      const established = connects.filter((c) => sockets.some((s) => s.state === 'ESTABLISHED' && ((s.local === c.local && s.remote === c.remote) || (s.local === c.remote && s.remote === c.local))));
      if (!listening) return { passed: false, detail: `/proc/net/tcp never showed ${listenEvent.address} in LISTEN in the server's descriptors.` };
      if (connects.length === 0 || established.length < connects.length)
        return { passed: false, detail: `/proc/net/tcp showed ${established.length} of ${connects.length} connections ESTABLISHED.` };
      return { passed: true, detail: `/proc/net/tcp showed ${listenEvent.address} in LISTEN and all ${connects.length} connections ESTABLISHED, e.g. ${established[0]!.local} → ${established[0]!.remote}.` };
    },
  },
  'unprivileged-bind-refused': {
    title: 'An ordinary user\'s bind() of a port below the unprivileged start was refused with EACCES',
    hint: 'Use a port below /proc/sys/net/ipv4/ip_unprivileged_port_start (1024), and when the app runs as root, let the program drop to the ordinary user nobody.',
    check(trace) {
      const start = measureOf(trace, 'ip_unprivileged_port_start') ?? 1024;
      const port = Number(trace.params.port);
      if (port >= start)
        return { passed: false, detail: `Port ${port} is not below ip_unprivileged_port_start (${start}): any user may bind it, so EACCES cannot happen.` };
      const refused = bindErrorsWithUid(trace).find((b) => b.error.code === 'EACCES' && b.uid !== undefined && b.uid !== 0);
      const rootOnly = eventsOf(trace, 'measure').filter((m) => m.name === 'uid').every((m) => m.value === 0);
      if (!refused)
        return {
          passed: false,
          detail: rootOnly ? `Only root (uid 0) tried to bind port ${port}, and the kernel lets root bind any port.` : `No ordinary user's bind of port ${port} was refused with EACCES.`,
        };
      const rootBound = eventsOf(trace, 'socket.listen').length > 0 && !rootOnly;
      return {
        passed: true,
        detail: `uid ${refused.uid} got EACCES binding 127.0.0.1:${port} (below ${start})${rootBound ? '; root, before dropping its privileges, bound it' : ''}.`,
      };
    },
  },
  'loopback-only': {
    title: 'A server bound to 127.0.0.1 answered at 127.0.0.1 and refused the machine\'s other address',
    hint: 'Bind the server to 127.0.0.1: bound to 0.0.0.0 it accepts connections to every address of the machine.',
    check(trace) {
      const listenEvent = eventsOf(trace, 'socket.listen', 'server')[0];
      if (!listenEvent) return { passed: false, detail: 'The server did not listen.' };
      const viaLoopback = eventsOf(trace, 'socket.connect', 'client').find((e) => e.channel === 'via-loopback');
      const otherOk = eventsOf(trace, 'socket.connect', 'client').find((e) => e.channel === 'via-other-address');
      const otherRefused = eventsOf(trace, 'io.error', 'client').find((e) => e.channel === 'via-other-address' && e.op === 'connect');
      if (!viaLoopback) return { passed: false, detail: `The client could not connect to the server at 127.0.0.1 (bound to ${listenEvent.address}).` };
      if (otherOk) return { passed: false, detail: `Bound to ${listenEvent.address}, the server also answered at ${otherOk.remote}: it is not loopback-only.` };
      if (!otherRefused || otherRefused.code !== 'ECONNREFUSED')
        return { passed: false, detail: `The other address ${otherRefused ? `failed with ${otherRefused.code}, not ECONNREFUSED` : 'was never tried'}.` };
      const other = /connect (\S+):/.exec(otherRefused.message)?.[1] ?? 'the other address';
      return { passed: true, detail: `Bound to ${listenEvent.address}: ${viaLoopback.remote} answered (from ${viaLoopback.local}); ${other} was refused (ECONNREFUSED), though it is this same machine.` };
    },
  },
  'transports-compared': {
    title: 'The same echo code ran over a Unix socket and over TCP, every byte verified on both',
    hint: 'Measure both transports (Transports to measure: both) and look for an io.error in the client\'s lane if bytes are missing.',
    check(trace) {
      const verified = (t: string) => measureOf(trace, `${t} bytes verified`, 'client');
      const expected = 2 * Number(trace.params.roundTrips) * Number(trace.params.messageBytes) + Number(trace.params.totalBytes);
      const missing = ['unix', 'tcp'].filter((t) => verified(t) === undefined);
      if (missing.length > 0) return { passed: false, detail: `Not measured: ${missing.join(' and ')}. Both transports must run to compare them.` };
      const short = ['unix', 'tcp'].filter((t) => verified(t) !== expected);
      if (short.length > 0) return { passed: false, detail: short.map((t) => `${t}: ${verified(t)} of ${expected} bytes verified`).join('; ') + '.' };
      const p50 = (t: string) => measureOf(trace, `${t} round trip p50`, 'client')!;
      const rate = (t: string) => measureOf(trace, `${t} throughput`, 'client')!;
      const faster = (a: number, b: number, lowerIsBetter: boolean) => ((lowerIsBetter ? a < b : a > b) ? 'unix' : 'tcp');
      return {
        passed: true,
        detail:
          `${formatBytes(expected)} verified on each. Round trip p50: unix ${p50('unix')} µs, tcp ${p50('tcp')} µs (${faster(p50('unix'), p50('tcp'), true)} faster); ` +
          `throughput: unix ${rate('unix')} MB/s, tcp ${rate('tcp')} MB/s (${faster(rate('unix'), rate('tcp'), false)} faster) on this run.`,
      };
    },
  },
  'server-survived-disconnect': {
    title: 'The server saw one client vanish mid-stream and finished serving all the others',
    hint: 'Choose a failing client (1 to the number of clients): the server should record its early close and still acknowledge every other client.',
    check(trace) {
      const clients = Number(trace.params.clients);
      const messages = Number(trace.params.messages);
      const closes = eventsOf(trace, 'socket.close', 'server');
      const early = closes.filter((c) => c.how !== 'local' && /vanished mid-stream/.test(c.detail ?? ''));
      const completeCloses = closes.filter((c) => /all \d+ messages/.test(c.detail ?? ''));
      const acked = eventsOf(trace, 'note', 'client').filter((n) => n.text.startsWith(`the server answered: got ${messages}`)).length;
      if (early.length === 0) return { passed: false, detail: `No client vanished: the server saw ${closes.length} connections end, every one after all its messages.` };
      if (early.length > 1) return { passed: false, detail: `${early.length} clients vanished, not one.` };
      if (completeCloses.length !== clients - 1 || acked !== clients - 1)
        return { passed: false, detail: `Of the ${clients - 1} other clients, ${completeCloses.length} sent everything and ${acked} got the server's acknowledgement.` };
      const e = early[0]!;
      return {
        passed: true,
        detail: `${e.detail?.replace(/^.*?; /, '')} (the server saw ${e.how === 'reset' ? 'a reset, RST' : 'an early end of file, FIN'}, after ${e.bytesIn} bytes); the other ${clients - 1} clients each sent all ${messages} messages and got their acknowledgement.`,
      };
    },
  },
  'stale-socket-recovered': {
    title: 'After a SIGKILL left a stale socket file, the restarted server found nobody listening, removed it and bound again',
    hint: 'The restarted server gets EADDRINUSE; it must connect to find out (ECONNREFUSED), unlink the file and bind again.',
    check(trace) {
      const killed = eventsOf(trace, 'child.exit', 'keeper').find((e) => e.childRole === 'server' && e.signal === 'SIGKILL');
      if (!killed) return { passed: false, detail: 'No server was killed with SIGKILL.' };
      const after = (e: { seq: number }) => e.seq > killed.seq;
      const inUse = eventsOf(trace, 'io.error', 'server').find((e) => after(e) && e.op === 'bind' && e.code === 'EADDRINUSE');
      const refused = eventsOf(trace, 'io.error', 'server').find((e) => after(e) && e.op === 'connect' && e.code === 'ECONNREFUSED');
      const first = eventsOf(trace, 'socket.listen', 'server').find((e) => e.pid === killed.childPid);
      const relisten = eventsOf(trace, 'socket.listen', 'server').find((e) => after(e) && e.pid !== killed.childPid);
      if (!inUse) return { passed: false, detail: 'The restarted server\'s bind did not fail with EADDRINUSE: no stale file was in its way.' };
      if (!refused) return { passed: false, detail: 'The restarted server did not check whether anybody listened (no ECONNREFUSED).' };
      if (!relisten || !first || relisten.address !== first.address || relisten.seq < refused.seq)
        return { passed: false, detail: `The restarted server did not bind ${first?.address ?? 'the path'} again: the stale file stayed in its way.` };
      const seen = eventsOf(trace, 'kernel.objects').some((o) => after(o) && (o.socket ?? []).some((s) => s.path === first.address));
      return {
        passed: true,
        detail: `pid ${killed.childPid} was killed; pid ${relisten.pid} got EADDRINUSE on ${first.address}, then ECONNREFUSED (nobody listened), unlinked it and listens again${seen ? '. The kernel view showed the stale file in between' : ''}.`,
      };
    },
  },
  'nagle-stall': {
    title: 'With Nagle on, a request written as two small writes waited for a delayed ACK; TCP_NODELAY or one write did not',
    hint: 'Compare the three median round trips in the notes: the first variant must write the header and the body separately, with Nagle on.',
    check(trace) {
      const nagle = measureOf(trace, 'nagle round trip p50');
      const noDelay = measureOf(trace, 'nodelay round trip p50');
      const oneWrite = measureOf(trace, 'one-write round trip p50');
      if (nagle === undefined || noDelay === undefined || oneWrite === undefined)
        return { passed: false, detail: 'The client did not measure all three variants: look for an error in its lane.' };
      const shown = `median round trips: two writes with Nagle ${nagle} ms, with TCP_NODELAY ${noDelay} ms, one write ${oneWrite} ms`;
      // A delayed ACK waits milliseconds; a loopback round trip takes microseconds. Ask for 5 ms and 10x both fixes.
      if (nagle < 5 || nagle < 10 * noDelay || nagle < 10 * oneWrite)
        return { passed: false, detail: `No request waited for a delayed ACK (${shown}). Did the client write the header and the body separately?` };
      return { passed: true, detail: `${shown}: Nagle held back each body until the server's delayed ACK, ${Math.round(nagle / Math.max(noDelay, oneWrite))}x slower than either fix.` };
    },
  },
});
