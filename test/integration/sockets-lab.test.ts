/**
 * The sockets lab on real processes and real kernel sockets (TCP on the loopback, Unix domain sockets
 * in the run's directory): every step's checks pass on a correct run and fail on a run that does not
 * show the behaviour; an ordinary user's bind below 1024 gets EACCES; a loopback-bound server refuses
 * the machine's other address; the kernel view reads LISTEN and ESTABLISHED from /proc/net/tcp; and a
 * socket file left by a server killed with SIGKILL goes with the run, leaving nothing behind.
 *
 * Where no parameter can take the behaviour away (a connection seen at both ends), the check is run
 * again on the real trace with the evidence removed, to show that it can fail.
 */
import { memoryTrace } from '../../main/engine/check-kit.js';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Measurement, RunSummary } from '../../main/contract/lab-model.js';
import type { StoredEvent, StoredEventOf } from '../../main/contract/trace-events.js';
import checks from '../../labs/05-sockets/checks.js';
import { TraceModel } from '../../renderer/src/lib/trace/trace-model.js';
import { assertNothingLeft, checksOf, openHarness, runToEnd, traceOf, waitForEvent, type FinishedRun, type Harness } from '../support/engine-harness.js';

let harness: Harness;
before(async () => {
  harness = await openHarness();
});
after(async () => {
  await harness.close();
});

const LAB = 'sockets';

function ofKind<K extends StoredEvent['kind']>(events: StoredEvent[], kind: K): StoredEventOf<K>[] {
  return events.filter((e) => e.kind === kind) as StoredEventOf<K>[];
}

function measure(events: StoredEvent[], name: string): number | undefined {
  return ofKind(events, 'measure').find((e) => e.name === name)?.value;
}

/** A measurement the run's checks read off its trace (what questions are graded against), if any gave it. */
function measured(run: RunSummary, id: string): Measurement | undefined {
  return run.checks.flatMap((c) => c.measurements ?? []).find((m) => m.id === id);
}

/** Every Unix socket path the run listened on. */
function socketFiles(events: StoredEvent[]): string[] {
  return ofKind(events, 'socket.listen')
    .filter((e) => e.transport === 'unix')
    .map((e) => e.address);
}

/** Nothing of the run is left: processes, run directory, socket files. */
function assertAllGone(finished: FinishedRun): void {
  assertNothingLeft(finished.run);
  for (const path of socketFiles(finished.stored)) assert.equal(existsSync(path), false, `${path} is left`);
}

describe('sockets lab', () => {
  it('step connections: each connection is one address pair at both ends, and /proc/net/tcp shows LISTEN and ESTABLISHED', async () => {
    // A stranger connects too and sends garbage: the server says so and keeps serving the clients.
    let garbage: Socket | undefined;
    const finished = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'connections', stepId: 'connections', params: { port: 0 } }, async () => {
      const listen = (await waitForEvent(harness.engine, (e) => e.kind === 'socket.listen')) as StoredEventOf<'socket.listen'>;
      garbage = connect({ host: '127.0.0.1', port: Number(listen.address.split(':')[1]) }, () => garbage!.write(Buffer.from('GET / HTTP/1.0\r\n\r\n')));
      garbage.on('error', () => {});
    });
    garbage?.destroy();
    const { run, stored } = finished;
    const complaint = ofKind(stored, 'io.error').find((e) => e.role === 'server');
    assert.equal(complaint?.code, 'EBADMSG');
    assert.match(complaint!.message, /not speaking this protocol.*keeps serving others/);
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    assert.deepEqual(checksOf(run), { 'connections-at-both-ends': true, 'kernel-shows-connections': true });

    const listen = ofKind(stored, 'socket.listen')[0]!;
    assert.match(listen.address, /^127\.0\.0\.1:\d+$/);
    const connects = ofKind(stored, 'socket.connect');
    assert.equal(connects.length, 3);
    const [low, high] = [measure(stored, 'ephemeral port range low')!, measure(stored, 'ephemeral port range high')!];
    for (const c of connects) {
      const port = Number(c.local.split(':')[1]);
      assert.ok(port >= low && port <= high, `${c.local} is in ${low}-${high}`);
      assert.equal(c.remote, listen.address);
      assert.ok(
        ofKind(stored, 'socket.accept').some((a) => a.local === c.remote && a.remote === c.local),
        `the server accepted ${c.local}`,
      );
    }

    // The kernel view: the server's listening socket in LISTEN, each client's socket ESTABLISHED, from /proc/net/tcp.
    const server = run.processes.find((p) => p.role === 'server')!;
    const snapshots = ofKind(stored, 'kernel.snapshot');
    assert.ok(
      snapshots.some(
        (s) =>
          s.pid === server.pid && s.fds.some((fd) => fd.target.startsWith('socket:[') && fd.socket?.state === 'LISTEN' && fd.socket.local === listen.address),
      ),
      'the server was seen holding its socket in LISTEN',
    );
    for (const c of connects) {
      assert.ok(
        snapshots.some(
          (s) =>
            s.pid === c.pid &&
            s.fds.some(
              (fd) => fd.socket?.transport === 'tcp' && fd.socket.state === 'ESTABLISHED' && fd.socket.local === c.local && fd.socket.remote === c.remote,
            ),
        ),
        `client ${c.pid} was seen holding ${c.local} → ${c.remote} ESTABLISHED`,
      );
    }
    // The timeline draws each connection as one arrow from the client's lane to the server's.
    const model = new TraceModel(run.startTs);
    model.addProcesses(run.processes);
    model.append(stored);
    const serverLane = model.lanes.find((lane) => lane.pid === server.pid)!.index;
    const clientLanes = connects.map((c) => model.lanes.find((lane) => lane.pid === c.pid)!.index).sort();
    const connectionArrows = model.arrows.filter((a) => a.toLane === serverLane);
    assert.deepEqual(connectionArrows.map((a) => a.fromLane).sort(), clientLanes);

    // The socket descriptors the runtime announced are the ones /proc showed.
    const created = ofKind(stored, 'object.create').filter((e) => e.object.type === 'socket');
    assert.ok(created.length >= 1 + 3 + 3, 'created.length >= 1 + 3 + 3');
    assert.ok(
      created.every((e) => /^socket:\[\d+\]$/.test(e.object.name)),
      'created.every((e) => /^socket:\\[\\d+\\]$/.test(e.object.name))',
    );

    // The checks fail on the same trace without the evidence.
    const trace = traceOf(finished);
    const lostAccept = { ...trace, events: trace.events.filter((e) => !(e.kind === 'socket.accept' && e.remote === connects[1]!.local)) };
    assert.equal(checks['connections-at-both-ends'].check(memoryTrace(lostAccept)).passed, false);
    const samePort = {
      ...trace,
      events: trace.events.map((e) => (e.kind === 'socket.connect' && e.pid === connects[1]!.pid ? { ...e, local: connects[0]!.local } : e)),
    };
    assert.equal(checks['connections-at-both-ends'].check(memoryTrace(samePort)).passed, false);
    // The kernel check reads the snapshots the clients asked for: without ESTABLISHED in them it fails.
    const requests = ofKind(stored, 'snapshot.request');
    assert.equal(requests.filter((r) => r.role === 'client').length, 3, 'each client asked for a kernel snapshot while connected');
    for (const c of connects) {
      const request = requests.find((r) => r.pid === c.pid)!;
      const own = snapshots.find((s) => s.pid === c.pid && s.requested === request.reason)!;
      assert.ok(BigInt(own.ts) > BigInt(request.ts), 'the requested snapshot is stamped after the request');
    }
    const noEstablished = {
      ...trace,
      events: trace.events.map((e) =>
        e.kind === 'kernel.snapshot' && e.requested
          ? { ...e, fds: e.fds.map((fd) => (fd.socket?.state === 'ESTABLISHED' ? { fd: fd.fd, target: fd.target } : fd)) }
          : e,
      ),
    };
    assert.equal(checks['kernel-shows-connections'].check(memoryTrace(noEstablished)).passed, false);
    for (const check of run.checks) assert.ok(check.moment && /^\d+$/.test(check.moment), `${check.id} returns a moment`);

    // What the server-sockets question is graded against: the most TCP sockets the server held at a client's
    // snapshot, one listening and one per connection (the stranger's may still be among them).
    const atClientSnapshots = snapshots
      .filter((s) => s.pid === server.pid && s.requested?.startsWith('client '))
      .map((s) => s.fds.filter((fd) => fd.socket?.transport === 'tcp').length);
    const serverSockets = measured(run, 'server-sockets');
    assert.deepEqual(serverSockets, { id: 'server-sockets', value: Math.max(...atClientSnapshots), unit: 'sockets' });
    assert.ok(serverSockets!.value >= 1 + 3, `the listening socket and three connections: ${serverSockets!.value}`);
    assertAllGone(finished);
  });

  it('step connections: looking after the clients hung up shows no connection; clients binding one port get EADDRNOTAVAIL', async () => {
    const late = await runToEnd(harness.engine, {
      labId: LAB,
      scenarioId: 'connections',
      stepId: 'connections',
      params: { port: 0, holdMs: 0, look: 'after-close' },
    });
    assert.deepEqual(checksOf(late.run), { 'connections-at-both-ends': true, 'kernel-shows-connections': false });
    const kernelCheck = late.run.checks.find((c) => c.id === 'kernel-shows-connections')!;
    assert.match(kernelCheck.detail, /0 of 3 connections ESTABLISHED/);
    assert.match(kernelCheck.hint, /after it had closed its connection/);
    assertAllGone(late);

    const samePort = await runToEnd(harness.engine, {
      labId: LAB,
      scenarioId: 'connections',
      stepId: 'connections',
      params: { port: 0, holdMs: 0, clientPort: 40000 },
    });
    const pairCheck = samePort.run.checks.find((c) => c.id === 'connections-at-both-ends')!;
    assert.equal(pairCheck.passed, false);
    assert.match(pairCheck.detail, /^1 of 3 clients connected/);
    assert.match(pairCheck.hint, /Let the kernel choose each client's port/);
    assert.deepEqual(
      ofKind(samePort.stored, 'io.error').map((e) => `${e.op} ${e.code}`),
      ['connect EADDRNOTAVAIL', 'connect EADDRNOTAVAIL'],
    );
    assert.equal(ofKind(samePort.stored, 'socket.connect')[0]!.local, '127.0.0.1:40000');
    assert.equal(measured(samePort.run, 'server-sockets')?.value, 2, 'the listening socket and the one connection that was allowed');
    assertAllGone(samePort);
  });

  it('step connections: a port already in use gives EADDRINUSE with the fix, and the run fails', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const finished = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'connections', stepId: 'connections', params: { port } });
      assert.equal(finished.run.status, 'failed');
      const error = ofKind(finished.stored, 'io.error').find((e) => e.op === 'bind')!;
      assert.equal(error.code, 'EADDRINUSE');
      assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}.*Fix: choose another port`));
      assert.deepEqual(checksOf(finished.run), { 'connections-at-both-ends': false, 'kernel-shows-connections': false });
      for (const check of finished.run.checks) {
        assert.match(check.hint, /EADDRINUSE/, `${check.id}'s hint speaks of what happened`);
        assert.doesNotMatch(check.hint, /longer|hold/, `${check.id}'s hint is not about holding connections`);
        assert.equal(check.moment, error.ts);
      }
      assertAllGone(finished);
    } finally {
      holder.close();
    }
  });

  it('step well-known-ports: root may bind port 80, the ordinary user nobody gets EACCES', async (t) => {
    // Some container runtimes set ip_unprivileged_port_start to 0: then nobody is refused, and no run can show EACCES.
    const unprivilegedStart = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
    if (unprivilegedStart <= 80) {
      t.skip(`this kernel lets every user bind port 80 (ip_unprivileged_port_start = ${unprivilegedStart}), so EACCES cannot be produced here`);
      return;
    }
    const finished = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'well-known-port', stepId: 'well-known-ports' });
    const { run, stored } = finished;
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    const refused = ofKind(stored, 'io.error').filter((e) => e.op === 'bind');
    assert.equal(refused.length, 1);
    assert.equal(refused[0]!.code, 'EACCES');
    const uids = ofKind(stored, 'measure')
      .filter((m) => m.name === 'uid')
      .map((m) => m.value);
    if (process.getuid!() === 0) {
      // This machine runs the app as root: root binds, then the program drops to nobody and is refused.
      assert.deepEqual(uids, [0, 65534]);
      assert.equal(ofKind(stored, 'socket.listen')[0]!.address, '127.0.0.1:80');
      assert.ok(
        ofKind(stored, 'note').some((n) => n.text.startsWith('running as root')),
        "ofKind(stored, 'note').some((n) => n.text.startsWith('running as root'))",
      );
      // The trace channel kept working after setuid: the process's last events arrived.
      assert.ok(
        stored.some((e) => e.kind === 'process.exit' && e.role === 'binder'),
        "stored.some((e) => e.kind === 'process.exit' && e.role === 'binder')",
      );
    } else {
      assert.equal(uids.length, 1);
    }
    assertAllGone(finished);

    const high = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'well-known-port', stepId: 'well-known-ports', params: { port: 8080 } });
    assert.equal(high.run.status, 'failed');
    assert.match(high.run.checks[0]!.detail, /not below ip_unprivileged_port_start/);
    assert.equal(ofKind(high.stored, 'io.error').length, 0, 'nobody may bind 8080');
    assertAllGone(high);

    if (process.getuid!() === 0) {
      const rootOnly = await runToEnd(harness.engine, {
        labId: LAB,
        scenarioId: 'well-known-port',
        stepId: 'well-known-ports',
        params: { dropPrivileges: false },
      });
      assert.equal(rootOnly.run.status, 'failed');
      assert.match(rootOnly.run.checks[0]!.detail, /Only root/);
      assertAllGone(rootOnly);
    }
  });

  it('step loopback: bound to 127.0.0.1 the other address is refused; bound to 0.0.0.0 both answer and the check fails', async () => {
    const finished = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'loopback', stepId: 'loopback' });
    assert.equal(finished.run.status, 'passed', JSON.stringify(finished.run.checks, null, 2));
    const refused = ofKind(finished.stored, 'io.error').find((e) => e.channel === 'via-other-address')!;
    assert.equal(refused.code, 'ECONNREFUSED');
    assert.equal(ofKind(finished.stored, 'socket.connect').filter((e) => e.channel === 'via-loopback').length, 1);
    assertAllGone(finished);

    const all = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'loopback', stepId: 'loopback', params: { bindAddress: '0.0.0.0' } });
    assert.equal(all.run.status, 'failed');
    assert.equal(ofKind(all.stored, 'socket.connect').length, 2, 'both addresses answered');
    assert.equal(ofKind(all.stored, 'io.error').length, 0);
    assertAllGone(all);
  });

  it("step unix-vs-tcp: both transports measured in batches by the kernel's own counters, every byte verified; the socket file is a kernel object, then removed", async () => {
    const params = { roundTrips: 20000, totalBytes: 1024 * 1024 };
    const finished = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'transports', stepId: 'unix-vs-tcp', params });
    const { run, stored } = finished;
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    // At least the four batches of 5000 asked for; more of the same size, the transports still taking
    // turns, while the kernel's 10 ms clock had counted too little on one of them.
    const reasons = ofKind(stored, 'snapshot.request').map((r) => r.reason);
    const batches = reasons.filter((r) => r.startsWith('before unix batch ')).length;
    assert.ok(batches >= 4 && batches <= 40, `4 to 40 batches: ${batches}`);
    const roundTrips = 5000 * batches;
    assert.equal(measure(stored, 'unix round trips'), roundTrips);
    assert.equal(measure(stored, 'tcp round trips'), roundTrips);
    const expected = 2 * roundTrips * 64 + 1024 * 1024;
    assert.equal(measure(stored, 'unix bytes verified'), expected);
    assert.equal(measure(stored, 'tcp bytes verified'), expected);
    const detail = run.checks[0]!.detail;
    assert.match(detail, new RegExp(`unix: \\d+ round trips in ${batches} batches, kernel time [\\d.–]+ µs per round trip`));
    assert.match(detail, new RegExp(`tcp: \\d+ round trips in ${batches} batches, kernel time [\\d.–]+ µs per round trip`));
    assert.doesNotMatch(detail, /faster/, 'the check names no winner');
    // Two snapshots per batch, Unix and TCP taking turns, each with the kernel's CPU and I/O counters of both processes.
    assert.deepEqual(reasons.slice(0, 4), ['before unix batch 1', 'after unix batch 1', 'before tcp batch 1', 'after tcp batch 1']);
    assert.deepEqual(
      reasons.slice(-4),
      [`before unix batch ${batches}`, `after unix batch ${batches}`, `before tcp batch ${batches}`, `after tcp batch ${batches}`],
      'the transports took turns to the end',
    );
    assert.equal(reasons.length, 4 * batches);
    const requested = ofKind(stored, 'kernel.snapshot').filter((s) => s.requested);
    assert.equal(requested.length, 8 * batches, 'client and server sampled at every request');
    assert.ok(
      requested.every((s) => s.cpu && s.io),
      'requested.every((s) => s.cpu && s.io)',
    );

    const [path] = socketFiles(stored);
    assert.match(path!, /\/ipc-lab-run-[^/]+\/echo\.sock$/);
    assert.ok(
      ofKind(stored, 'kernel.objects').some((o) => (o.socket ?? []).some((s) => s.path === path)),
      'kernel.objects listed the socket file',
    );
    assert.ok(!ofKind(stored, 'kernel.objects').some((o) => (o.socket ?? []).some((s) => s.path.endsWith('/trace.sock'))), "not the host's trace socket");
    assert.ok(
      ofKind(stored, 'kernel.snapshot').some(
        (s) => s.role === 'server' && s.fds.some((fd) => fd.socket?.transport === 'unix' && fd.socket.local === path && fd.socket.state === 'LISTEN'),
      ),
      "/proc/net/unix showed the server's socket listening on the path",
    );
    assertAllGone(finished);

    const trace = traceOf(finished);
    const lostBytes = {
      ...trace,
      events: trace.events.map((e) => (e.kind === 'measure' && e.name === 'unix bytes verified' ? { ...e, value: e.value - 1 } : e)),
    };
    assert.equal(checks['transports-compared'].check(memoryTrace(lostBytes)).passed, false);
    const noCounters = { ...trace, events: trace.events.map((e) => (e.kind === 'kernel.snapshot' ? { ...e, cpu: undefined } : e)) };
    assert.match(checks['transports-compared'].check(memoryTrace(noCounters)).detail, /no kernel snapshots/);
    // The same run with a kernel clock that never counted: every snapshot reads the same stime.
    const noTicks = {
      ...trace,
      events: trace.events.map((e) => (e.kind === 'kernel.snapshot' && e.cpu ? { ...e, cpu: { ...e.cpu, systemMs: 0 } } : e)),
    };
    const coarse = checks['transports-compared'].check(memoryTrace(noTicks));
    assert.equal(coarse.passed, false);
    assert.match(coarse.detail, /unix: both processes spent 0 ms in the kernel over \d+ round trips in \d+ batches.*too coarse to compare/);
    assert.equal(coarse.measurements?.['unix-kernel-time'], undefined, 'no kernel time per round trip from too few ticks');
    // A client that stopped short of the round trips asked for.
    const stoppedShort = {
      ...trace,
      events: trace.events.map((e) => (e.kind === 'measure' && e.name === 'tcp round trips' ? { ...e, value: 19999 } : e)),
    };
    assert.match(checks['transports-compared'].check(memoryTrace(stoppedShort)).detail, /^tcp: 19999 of the 20000 round trips asked for\.$/);

    // What the questions are graded against, worked out here from the same trace: per transport, the
    // batches' time from the client's note at their start to its snapshot after them, per write() the
    // kernel counted, and the kernel time both processes spent per round trip.
    const client = run.processes.find((p) => p.role === 'client')!;
    const requests = ofKind(stored, 'snapshot.request').filter((r) => r.pid === client.pid);
    const ownSnapshot = (request: StoredEventOf<'snapshot.request'>, pid: number) =>
      requested.find((s) => s.pid === pid && s.requested === request.reason && BigInt(s.ts) > BigInt(request.ts))!;
    const server = run.processes.find((p) => p.role === 'server')!;
    for (const tr of ['unix', 'tcp']) {
      let ns = 0n;
      let writes = 0;
      let systemMs = 0;
      for (let batch = 1; batch <= batches; batch++) {
        const before = requests.find((r) => r.reason === `before ${tr} batch ${batch}`)!;
        const after = requests.find((r) => r.reason === `after ${tr} batch ${batch}`)!;
        const start = ofKind(stored, 'note').find((n) => n.pid === client.pid && n.text.startsWith(`${tr} batch ${batch}: `))!;
        assert.ok(BigInt(before.ts) < BigInt(start.ts) && BigInt(start.ts) < BigInt(after.ts), `${tr} batch ${batch}: the note is between the snapshots`);
        ns += BigInt(after.ts) - BigInt(start.ts);
        writes += ownSnapshot(after, client.pid).io!.syscw - ownSnapshot(before, client.pid).io!.syscw;
        for (const pid of [client.pid, server.pid]) systemMs += ownSnapshot(after, pid).cpu!.systemMs - ownSnapshot(before, pid).cpu!.systemMs;
      }
      // One per round trip, and some more (the trace's own, libuv's eventfd wake-ups), more under load.
      assert.ok(writes >= roundTrips && writes < roundTrips + 250 * batches, `${tr}: one write() per round trip, and a few more: ${writes}`);
      // What the client went on for: ten ticks of the kernel's clock on each transport, by the engine's snapshots.
      assert.ok(systemMs >= 100, `${tr}: both processes spent at least 100 ms in the kernel: ${systemMs} ms`);
      for (const [id, value] of [
        [`${tr}-round-trip`, Number(ns) / 1000 / writes],
        [`${tr}-kernel-time`, (systemMs * 1000) / writes],
      ] as const) {
        const m = measured(run, id);
        assert.equal(m?.unit, 'µs', id);
        assert.ok(Math.abs(m!.value - value) <= 0.051, `${id}: ${m!.value} µs, worked out here ${value}`);
      }
    }
    const ratio = (what: string) => Math.round((measured(run, `tcp-${what}`)!.value / measured(run, `unix-${what}`)!.value) * 100) / 100;
    for (const what of ['round-trip', 'kernel-time'])
      assert.deepEqual(measured(run, `tcp-to-unix-${what}`), { id: `tcp-to-unix-${what}`, value: ratio(what), unit: 'times' });

    const tcpOnly = await runToEnd(harness.engine, {
      labId: LAB,
      scenarioId: 'transports',
      stepId: 'unix-vs-tcp',
      params: { ...params, roundTrips: 2000, transports: 'tcp' },
    });
    assert.equal(tcpOnly.run.status, 'failed');
    assert.match(tcpOnly.run.checks[0]!.detail, /Not measured: unix/);
    assert.ok(measured(tcpOnly.run, 'tcp-round-trip'), 'the TCP round trip was measured');
    for (const id of ['unix-round-trip', 'unix-kernel-time', 'tcp-to-unix-round-trip', 'tcp-to-unix-kernel-time'])
      assert.equal(measured(tcpOnly.run, id), undefined, `${id}: no Unix socket ran`);
    assertAllGone(tcpOnly);

    // 200 round trips go on until ten ticks of the kernel's clock, for at most ten times the batches
    // (2000 round trips). How many ticks 2000 round trips cost depends on the machine and its load: on
    // a quiet one, too few (the check says so and fails); on a loaded one the ticks may come sooner,
    // and then the client stops there and the check has its figures.
    const few = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'transports', stepId: 'unix-vs-tcp', params: { ...params, roundTrips: 200 } });
    const trips = { unix: measure(few.stored, 'unix round trips'), tcp: measure(few.stored, 'tcp round trips') };
    assert.ok(measured(few.run, 'unix-round-trip') && measured(few.run, 'tcp-round-trip'), 'the round trips were timed');
    for (const [transport, n] of Object.entries(trips))
      assert.ok(n! >= 200 && n! <= 2000, `${transport}: ${n} round trips, between the 200 asked for and ten times that`);
    if (trips.unix === 2000 || trips.tcp === 2000) {
      assert.equal(few.run.status, 'failed');
      assert.match(
        few.run.checks[0]!.detail,
        /over \d+ round trips in \d+ batches, by \/proc\/<pid>\/stat: fewer than 10 ticks of its 10 ms clock, too coarse to compare/,
      );
      assert.match(few.run.checks[0]!.hint, /Run more round trips/);
    } else {
      // Both stopped short of the bound: each had its ten ticks, and the check compares them.
      assert.equal(few.run.status, 'passed', few.run.checks[0]!.detail);
      for (const id of ['unix-kernel-time', 'tcp-kernel-time', 'tcp-to-unix-kernel-time']) assert.ok(measured(few.run, id), id);
    }
    assertAllGone(few);
  });

  it("step unix-vs-tcp on 8000 round trips: too few for ten ticks of the kernel's clock, so the client goes on until both transports have them", async () => {
    // 8000 round trips cost both processes some 30-70 ms in the kernel here, under ten ticks of 10 ms:
    // the client adds batches of 2000 (up to 40 of them) until each transport has at least 100 ms.
    const finished = await runToEnd(harness.engine, {
      labId: LAB,
      scenarioId: 'transports',
      stepId: 'unix-vs-tcp',
      params: { roundTrips: 8000, totalBytes: 1024 },
    });
    const { run, stored } = finished;
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    const batches = ofKind(stored, 'snapshot.request').filter((r) => r.reason.startsWith('before tcp batch ')).length;
    for (const tr of ['unix', 'tcp']) {
      const roundTrips = measure(stored, `${tr} round trips`)!;
      assert.equal(roundTrips, 2000 * batches, `${tr}: batches of 2000`);
      assert.ok(roundTrips >= 8000, `${tr}: at least the round trips asked for: ${roundTrips}`);
      assert.equal(measure(stored, `${tr} bytes verified`), 2 * roundTrips * 64 + 1024);
      const kernelMs = Number(
        new RegExp(`${tr}: \\d+ round trips in ${batches} batches, .*?both processes, (\\d+) ms in all`).exec(run.checks[0]!.detail)?.[1],
      );
      assert.ok(kernelMs >= 100, `${tr}: at least 100 ms in the kernel, by the engine's snapshots: ${kernelMs} ms`);
    }
    assertAllGone(finished);
  });

  it('step many-clients: the server sees a client reset or killed mid-stream and serves the others', async () => {
    const params = { clients: 3, messages: 10, messageDelayMs: 10, failingClient: 2 };
    for (const failure of ['reset', 'killed', 'killed-unread'] as const) {
      const finished = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'many-clients', stepId: 'many-clients', params: { ...params, failure } });
      const { run, stored } = finished;
      assert.equal(run.status, 'passed', `${failure}: ${JSON.stringify(run.checks, null, 2)}`);
      const early = ofKind(stored, 'socket.close').filter((e) => e.role === 'server' && /vanished/.test(e.detail ?? ''));
      assert.equal(early.length, 1);
      // A reset is an RST (ECONNRESET); a killed process's kernel closes its socket in order (FIN) when
      // nothing was unread, and resets it (RST) when the server's answers lay unread in its receive queue.
      assert.equal(early[0]!.how, failure === 'killed' ? 'end' : 'reset', failure);
      if (failure === 'killed-unread') assert.ok(measure(stored, 'unread bytes in the receive queue')! > 0, 'the kernel showed unread bytes before the kill');
      assert.ok(run.checks[0]!.moment === early[0]!.ts, 'run.checks[0]!.moment === early[0]!.ts');
      const complete = ofKind(stored, 'socket.close').filter((e) => e.role === 'server' && /all 10 messages/.test(e.detail ?? ''));
      assert.equal(complete.length, 2);
      assert.ok(early[0]!.bytesIn! < complete[0]!.bytesIn!, 'fewer bytes from the client that vanished');
      assert.equal(measure(stored, 'clients completed'), 2);
      // The messages-before question: the server's message.receive events on client 2's channel, up to its
      // early close. Client 2 sent 5 of its 10; a reset may cut the last one short (it still lay unread).
      const sent = ofKind(stored, 'message.send').filter((e) => e.role === 'client' && e.channel === 'client-2').length;
      const received = ofKind(stored, 'message.receive').filter((e) => e.role === 'server' && e.channel === 'client-2').length;
      assert.equal(sent, 5, failure);
      assert.deepEqual(measured(run, 'messages-before-vanishing'), { id: 'messages-before-vanishing', value: received, unit: 'messages' }, failure);
      assert.ok(failure === 'reset' ? received >= sent - 1 : received === sent, `${failure}: ${received} of ${sent} messages reached the server`);
      if (failure !== 'reset')
        assert.ok(
          run.processes.some((p) => p.role === 'client' && p.signal === 'SIGKILL'),
          "run.processes.some((p) => p.role === 'client' && p.signal === 'SIGKILL')",
        );
      assertAllGone(finished);
    }
    const nobodyFails = await runToEnd(harness.engine, {
      labId: LAB,
      scenarioId: 'many-clients',
      stepId: 'many-clients',
      params: { ...params, failingClient: 0 },
    });
    assert.equal(nobodyFails.run.status, 'failed');
    assert.match(nobodyFails.run.checks[0]!.detail, /No client vanished/);
    assert.equal(measured(nobodyFails.run, 'messages-before-vanishing'), undefined, 'nobody vanished: nothing to count');
    assertAllGone(nobodyFails);
  });

  it('step stale-socket: a SIGKILLed server leaves its socket file; the restarted server removes it and binds again', async () => {
    const finished = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'stale-socket', stepId: 'stale-socket' });
    const { run, stored } = finished;
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    const codes = ofKind(stored, 'io.error').map((e) => `${e.op} ${e.code}`);
    assert.deepEqual(codes, ['bind EADDRINUSE', 'connect ECONNREFUSED']);
    const [path] = socketFiles(stored);
    assert.ok(
      ofKind(stored, 'kernel.objects').some((o) => (o.socket ?? []).some((s) => s.path === path)),
      'the kernel view listed stale.sock',
    );
    assert.match(run.checks[0]!.detail, /the kernel view showed the file among the run's objects with no process listening on it/);
    const look = ofKind(stored, 'snapshot.request').find((r) => r.role === 'keeper')!;
    assert.ok(BigInt(run.checks[0]!.moment!) > BigInt(look.ts), 'the view opens at the snapshot taken after the kill');
    assertAllGone(finished);

    const kept = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'stale-socket', stepId: 'stale-socket', params: { removeStale: false, staleMs: 0 } });
    assert.equal(kept.run.status, 'failed');
    assert.match(kept.run.checks[0]!.detail, /did not bind .* again/);
    assert.ok(
      ofKind(kept.stored, 'note').some((n) => /Fix: unlink the stale file/.test(n.text)),
      "ofKind(kept.stored, 'note').some((n) => /Fix: unlink the stale file/.test(n.text))",
    );
    // The stale file was still there at the end: the host removed it with the run's directory.
    const cleanup = ofKind(kept.stored, 'host.cleanup').flatMap((c) => c.removed);
    assert.ok(
      cleanup.some((p) => p.endsWith('/stale.sock')),
      `host.cleanup: ${cleanup.join(', ')}`,
    );
    assertAllGone(kept);
  });

  it('step small-writes: two small writes with Nagle on wait for the delayed ACK; TCP_NODELAY and one write do not', async () => {
    const finished = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'small-writes', stepId: 'small-writes', params: { rounds: 10 } });
    assert.equal(finished.run.status, 'passed', JSON.stringify(finished.run.checks, null, 2));
    const connects = ofKind(finished.stored, 'socket.connect').map((e) => e.channel);
    assert.deepEqual(connects, ['requests-nagle', 'requests-nodelay', 'requests-one-write'], 'one connection per variant');
    assert.equal(ofKind(finished.stored, 'io.error').length, 0);
    // The check reads the requests' times from their events: each request sent, received by the server, answered.
    const sends = ofKind(finished.stored, 'message.send').filter((e) => e.channel === 'requests-nagle');
    const arrivals = ofKind(finished.stored, 'message.receive').filter((e) => e.channel === 'requests-nagle');
    assert.equal(sends.length, 10);
    assert.equal(arrivals.length, 10);
    const waits = sends.map((send) => Number(BigInt(arrivals.find((a) => a.messageId === send.messageId)!.ts) - BigInt(send.ts)) / 1e6);
    assert.ok(
      waits.filter((w) => w >= 30 && w <= 300).length > waits.length / 2,
      `most requests reached the server after a delayed ACK: ${waits.join(', ')} ms`,
    );
    assert.match(finished.run.checks[0]!.detail, /reached the server a median \d/);
    // The client's wait for each answer is a traced read: with Nagle on, most are long enough to be drawn as blocked bars.
    const answerWaits = ofKind(finished.stored, 'io.end').filter((e) => e.role === 'client' && e.op === 'read' && e.channel === 'requests-nagle');
    assert.equal(answerWaits.length, 10, 'one traced wait per request');
    assert.ok(answerWaits.filter((e) => BigInt(e.durationNs) >= 30_000_000n).length > 5, 'most waited for the delayed ACK, as a bar in the timeline');
    // The round-trip questions: the medians the check read off the requests' events, in ms.
    const ms = (id: string) => {
      const m = measured(finished.run, id);
      assert.equal(m?.unit, id === 'requests-waited' ? 'requests' : 'ms', id);
      return m!.value;
    };
    assert.ok(ms('nagle-round-trip') >= 30 && ms('nagle-round-trip') <= 300, `Nagle: ${ms('nagle-round-trip')} ms, the delayed-ACK timer`);
    assert.ok(ms('nagle-to-server') >= 30 && ms('nagle-to-server') <= ms('nagle-round-trip'), `to the server: ${ms('nagle-to-server')} ms`);
    assert.ok(ms('nodelay-round-trip') < 20 && ms('one-write-round-trip') < 20, 'both fixes are far below the timer');
    const waited = sends.filter((send) => {
      const answer = ofKind(finished.stored, 'message.receive').find((a) => a.channel === 'answers-nagle' && a.messageId === send.messageId)!;
      return BigInt(answer.ts) - BigInt(send.ts) >= 30_000_000n;
    }).length;
    assert.equal(ms('requests-waited'), waited);
    assertAllGone(finished);
    const trace = traceOf(finished);
    const moved = { ...trace, events: trace.events.filter((e) => !(e.kind === 'message.receive' && e.role === 'server')) };
    assert.equal(checks['nagle-stall'].check(memoryTrace(moved)).passed, false, "without the server's side of each request, nothing shows where the wait was");

    const oneWriteOnly = await runToEnd(harness.engine, {
      labId: LAB,
      scenarioId: 'small-writes',
      stepId: 'small-writes',
      params: { rounds: 10, separateWrites: false },
    });
    assert.equal(oneWriteOnly.run.status, 'failed');
    assert.match(oneWriteOnly.run.checks[0]!.detail, /No request waited for a delayed ACK/);
    assert.ok(measured(oneWriteOnly.run, 'nagle-round-trip')!.value < 30, 'with one write, the Nagle variant does not wait either');
    assertAllGone(oneWriteOnly);
  });

  it('a Unix socket path longer than sun_path is refused with ENAMETOOLONG, not silently cut short', async () => {
    const { listen, connect: connectTraced } = await import('../../main/runtime/sockets/traced-socket.js');
    const dir = mkdtempSync(join(tmpdir(), 'x'.repeat(100)));
    try {
      const events: { kind: string; code?: string; message?: string }[] = [];
      const tracer = { emit: (kind: string, fields: object) => void events.push({ kind, ...fields }) };
      const path = join(dir, 'echo.sock');
      assert.ok(Buffer.byteLength(path) > 107, 'Buffer.byteLength(path) > 107');
      await assert.rejects(listen(tracer, { path }, { channel: 'listen' }), { code: 'ENAMETOOLONG' });
      await assert.rejects(connectTraced(tracer, { path }, 'client'), { code: 'ENAMETOOLONG' });
      assert.deepEqual(
        events.map((e) => `${e.kind} ${e.code}`),
        ['io.error ENAMETOOLONG', 'io.error ENAMETOOLONG'],
      );
      assert.match(events[0]!.message!, /at most 107 bytes plus the terminating NUL \(unix\(7\)\)/);
      assert.deepEqual(readdirSync(dir), [], 'no socket file, truncated or not');
      assert.deepEqual(
        readdirSync(tmpdir()).filter((f) => f.startsWith('xxxx') && join(tmpdir(), f) !== dir),
        [],
        'no truncated name next to it',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a server killed with SIGKILL mid-run: its socket file goes with the run, and nothing is left', async () => {
    let path = '';
    const finished = await runToEnd(
      harness.engine,
      { labId: LAB, scenarioId: 'transports', params: { transports: 'unix', roundTrips: 100000, totalBytes: 268435456 } },
      async () => {
        const listen = (await waitForEvent(harness.engine, (e) => e.kind === 'socket.listen' && e.transport === 'unix')) as StoredEventOf<'socket.listen'>;
        path = listen.address;
        await waitForEvent(harness.engine, (e) => e.kind === 'socket.accept');
        assert.equal(existsSync(path), true);
        process.kill(listen.pid, 'SIGKILL');
      },
    );
    assert.ok(path, 'path');
    assert.equal(existsSync(path), false, `${path} is left`);
    const cleanup = ofKind(finished.stored, 'host.cleanup').flatMap((c) => c.removed);
    assert.ok(cleanup.includes(path), `host.cleanup listed ${path}: ${cleanup.join(', ')}`);
    assert.ok(
      finished.run.processes.some((p) => p.role === 'server' && p.signal === 'SIGKILL'),
      "finished.run.processes.some((p) => p.role === 'server' && p.signal === 'SIGKILL')",
    );
    assertAllGone(finished);
  });

  it('a run stopped mid-stream: its socket file goes with the run, and a new run can bind again', async () => {
    const params = { transports: 'unix', roundTrips: 100000, totalBytes: 268435456 };
    let path = '';
    const stopped = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'transports', params }, async (runId) => {
      path = ((await waitForEvent(harness.engine, (e) => e.kind === 'socket.listen' && e.transport === 'unix')) as StoredEventOf<'socket.listen'>).address;
      await waitForEvent(harness.engine, (e) => e.kind === 'socket.accept');
      await harness.engine.call('runs.stop', { runId });
    });
    assert.equal(stopped.run.status, 'stopped');
    assert.equal(existsSync(path), false, `${path} is left`);
    assertAllGone(stopped);
    const again = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'transports', params: { transports: 'unix', roundTrips: 10, totalBytes: 1024 } });
    assert.equal(ofKind(again.stored, 'io.error').length, 0, 'the new run bound its socket');
    // 10 round trips asked for, and more while the kernel's clock has counted too little: the client says how many.
    const roundTrips = measure(again.stored, 'unix round trips')!;
    assert.ok(roundTrips >= 10, `at least the 10 round trips asked for: ${roundTrips}`);
    assert.equal(measure(again.stored, 'unix bytes verified'), 2 * roundTrips * 64 + 1024);
    assertAllGone(again);
  });
});
