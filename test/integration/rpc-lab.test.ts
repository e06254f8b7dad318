/**
 * The RPC lab on real processes and real TCP sockets: every step's checks pass on a correct run and
 * fail on each of the step's variants (a run without the behaviour, chosen by a parameter a student
 * could set); deposits through a lossy link (a relay process) run once each with at-most-once and
 * twice with at-least-once, by the server's ledger read back from its file; a server SIGKILLed between
 * logging a deposit and replying, and started again, gives a different outcome under each semantics;
 * the matchmaker's port is the server's; a server fed garbage keeps serving its ordinary client, unless
 * it does not check its input; nothing is left behind.
 *
 * Where no parameter can remove the evidence (the request's bytes, the ts order of a lookup and a
 * connect), the check is also run on the real trace with the evidence removed or altered.
 */
import { memoryTrace } from '../../main/engine/check-kit.js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Measurement, ParamValues, RunSummary } from '../../main/contract/lab-model.js';
import type { StoredEvent, StoredEventOf } from '../../main/contract/trace-events.js';
import checks from '../../labs/06-rpc/checks.js';
import { assertNothingLeft, checksOf, openHarness, runToEnd, traceOf, type FinishedRun, type Harness } from '../support/engine-harness.js';

let harness: Harness;
before(async () => {
  harness = await openHarness();
});
after(async () => {
  await harness.close();
});

const LAB = 'rpc';

function of<K extends StoredEvent['kind']>(events: StoredEvent[], kind: K, role?: string): StoredEventOf<K>[] {
  return events.filter((e) => e.kind === kind && (role === undefined || e.role === role)) as StoredEventOf<K>[];
}

async function step(scenarioId: string, stepId: string, params: ParamValues = {}): Promise<FinishedRun> {
  const finished = await runToEnd(harness.engine, { labId: LAB, scenarioId, stepId, params });
  assertNothingLeft(finished.run);
  const rejected = of(finished.stored, 'trace.rejected');
  assert.equal(rejected.length, 0, JSON.stringify(rejected));
  return finished;
}

/** A measurement the run's checks read off its trace (what questions are graded against), if any gave it. */
function measured(run: RunSummary, id: string): Measurement | undefined {
  return run.checks.flatMap((c) => c.measurements ?? []).find((m) => m.id === id);
}

/** Every check of the run passed, and each names the moment of its evidence. */
function assertPassedWithMoments(finished: FinishedRun): void {
  assert.equal(finished.run.status, 'passed', JSON.stringify(finished.run.checks, null, 2));
  for (const c of finished.run.checks) assert.match(c.moment ?? '', /^\d+$/, `${c.id} names no moment`);
}

/**
 * Under at-least-once a call runs as often as it is sent, and a reply that is merely slower than the
 * timeout (a loaded machine) is sent again too: each deposit ran at least `least[i]` times, never fewer.
 */
function assertRanAtLeast(runs: number[], least: number[]): void {
  assert.equal(runs.length, least.length, `${runs.length} deposits in the ledger, not ${least.length}`);
  runs.forEach((n, i) => assert.ok(n >= least[i]!, `deposit ${i + 1} ran ${n} times, fewer than ${least[i]}`));
}

/** How often each deposit xid is in the last ledger a server read back. */
function ledgerRuns(stored: StoredEvent[]): number[] {
  const ledgers = of(stored, 'rpc.ledger', 'server').sort((a, b) => (BigInt(a.ts) < BigInt(b.ts) ? -1 : 1));
  const last = ledgers[ledgers.length - 1]!;
  const runs = new Map<number, number>();
  for (const e of last.entries) if (e.procedure === 'deposit') runs.set(e.xid, (runs.get(e.xid) ?? 0) + 1);
  return [...runs.values()];
}

describe('RPC lab', () => {
  it('step stubs: the request is labelled field by field and the result comes back; a stale interface fails both checks', async () => {
    const finished = await step('call', 'stubs', { amount: 1000 });
    const { run, stored } = finished;
    assertPassedWithMoments(finished);
    const server = run.processes.find((p) => p.role === 'server')!;
    const client = run.processes.find((p) => p.role === 'client')!;
    assert.equal(server.ppid, client.pid, 'the client started the server');
    const execute = of(stored, 'rpc.execute', 'server')[0]!;
    assert.equal(execute.procedure, 'deposit');
    assert.equal(execute.pid, server.pid, 'the deposit ran in the server process');
    const request = of(stored, 'message.bytes', 'client').find((m) => m.direction === 'send')!;
    assert.match(request.hex, /^80 00 00 38 /, 'record mark: last fragment, 56 bytes');
    assert.ok(request.hex.endsWith('00 00 00 05 61 6c 69 63 65 00 00 00 00 00 03 e8'), request.hex);
    // The byte-count questions: the request on the wire (record mark, 40-byte header, 12 for "alice", 4 for
    // the amount) and the account's length, characters and padding.
    assert.deepEqual(measured(run, 'request-bytes'), { id: 'request-bytes', value: 60, unit: 'bytes' });
    assert.deepEqual(measured(run, 'account-bytes'), { id: 'account-bytes', value: 12, unit: 'bytes' });

    const stale = await step('call', 'stubs', { amount: 1000, clientInterface: 'stale' });
    assert.deepEqual(checksOf(stale.run), { 'request-fields-match-call': false, 'result-right': false });
    assert.equal(measured(stale.run, 'request-bytes')?.value, 60, 'the stale stub sends as many bytes, with another procedure number');
    assert.ok(
      of(stale.stored, 'rpc.error', 'server').some((e) => e.code === 'PROC_UNAVAIL'),
      "of(stale.stored, 'rpc.error', 'server').some((e) => e.code === 'PROC_UNAVAIL')",
    );

    // Evidence altered: the request's amount field says something else than the call.
    const trace = traceOf(finished);
    const altered = {
      ...trace,
      events: trace.events.map((e) =>
        e.kind === 'message.bytes' && e.direction === 'send' ? { ...e, fields: e.fields.map((f) => (f.path === 'args.amount' ? { ...f, value: '7' } : f)) } : e,
      ),
    };
    assert.equal(checks['request-fields-match-call'].check(memoryTrace(altered)).passed, false);
  });

  it('step endianness: 1000 in native order arrives as 3892510720; in XDR as 1000; without the raw send the check fails', async () => {
    const finished = await step('endianness', 'endianness', { value: 1000, sendNative: true });
    assertPassedWithMoments(finished);
    assert.deepEqual(
      of(finished.stored, 'message.receive', 'receiver').map((m) => m.text),
      ['3892510720', '1000'],
    );
    assert.deepEqual(
      of(finished.stored, 'message.bytes', 'sender').map((m) => [m.encoding, m.hex]),
      [
        ['native (little-endian)', '80 00 00 04 e8 03 00 00'],
        ['xdr', '80 00 00 04 00 00 03 e8'],
      ],
    );
    assert.deepEqual(measured(finished.run, 'native-read-as'), { id: 'native-read-as', value: 3892510720, unit: 'unsigned int' });
    const without = await step('endianness', 'endianness', { value: 1000, sendNative: false });
    assert.deepEqual(checksOf(without.run), { 'native-order-misread': false });
    assert.equal(measured(without.run, 'native-read-as'), undefined, 'nothing was sent in native order');
  });

  describe('step failures: a lossy link between the client and the bank', () => {
    const base = { deposits: 4, amount: 100, faultEvery: 2, timeoutMs: 600, attempts: 4, delayMs: 1200 };

    it('at-most-once + drop-reply passes; the link dropped replies the server had sent', async () => {
      const finished = await step('failures', 'failures', { ...base, fault: 'drop-reply', semantics: 'at-most-once' });
      assertPassedWithMoments(finished);
      const { stored } = finished;
      assert.deepEqual(ledgerRuns(stored), [1, 1, 1, 1]);
      const faults = of(stored, 'rpc.fault', 'link');
      assert.equal(faults.length, 2);
      for (const f of faults) {
        // The server ran it before the link dropped the reply.
        const executed = of(stored, 'rpc.execute', 'server').find((e) => e.xid === f.xid)!;
        assert.ok(BigInt(executed.ts) < BigInt(f.ts), `xid ${f.xid} ran before its reply was dropped`);
      }
      assert.ok(
        of(stored, 'rpc.duplicate', 'server').every((d) => d.action === 'replayed'),
        "of(stored, 'rpc.duplicate', 'server').every((d) => d.action === 'replayed')",
      );
      // The questions: the ledger's last balance, the deposits it holds twice, the retries the client sent.
      const retries = of(stored, 'rpc.call', 'client').filter((c) => c.procedure === 'deposit' && c.attempt > 1).length;
      assert.ok(retries >= 2, `both lost replies were retried: ${retries}`);
      assert.deepEqual(measured(finished.run, 'balance'), { id: 'balance', value: 400, unit: 'units' });
      assert.deepEqual(measured(finished.run, 'deposits-repeated'), { id: 'deposits-repeated', value: 0, unit: 'deposits' });
      assert.deepEqual(measured(finished.run, 'retries'), { id: 'retries', value: retries, unit: 'sends' });
    });

    it('at-least-once + drop-reply: the ledger holds two deposits twice; each-deposit-once and duplicates-suppressed fail', async () => {
      const { run, stored } = await step('failures', 'failures', { ...base, fault: 'drop-reply', semantics: 'at-least-once' });
      assertRanAtLeast(ledgerRuns(stored), [1, 2, 1, 2]);
      const runs = ledgerRuns(stored);
      assert.equal(measured(run, 'balance')?.value, 100 * runs.reduce((a, b) => a + b, 0), 'every execution in the ledger added 100');
      assert.equal(measured(run, 'deposits-repeated')?.value, runs.filter((n) => n > 1).length);
      assert.deepEqual(checksOf(run), { 'each-deposit-once': false, 'faults-and-retries': true, 'duplicates-suppressed': false });
    });

    it('at-least-once + delay past the timeout: the late original runs too; exactly-once replays it', async () => {
      const alo = await step('failures', 'failures', { ...base, fault: 'delay', semantics: 'at-least-once' });
      assertRanAtLeast(ledgerRuns(alo.stored), [1, 2, 1, 2]);
      const eo = await step('failures', 'failures', { ...base, fault: 'delay', semantics: 'exactly-once' });
      assertPassedWithMoments(eo);
      assert.deepEqual(ledgerRuns(eo.stored), [1, 1, 1, 1]);
    });

    it('no fault: nothing to retry or suppress; one send per call with lost requests: deposits never ran', async () => {
      const clean = await step('failures', 'failures', { ...base, fault: 'none', semantics: 'at-most-once' });
      assert.deepEqual(checksOf(clean.run), { 'each-deposit-once': true, 'faults-and-retries': false, 'duplicates-suppressed': false });
      const once = await step('failures', 'failures', { ...base, fault: 'drop-request', semantics: 'at-most-once', attempts: 1 });
      assert.deepEqual(checksOf(once.run), { 'each-deposit-once': false, 'faults-and-retries': false, 'duplicates-suppressed': false });
      assert.deepEqual(ledgerRuns(once.stored), [1, 1], 'deposits 2 and 4 never reached the server');
      assert.equal(of(once.stored, 'rpc.error', 'client').filter((e) => e.code === 'unknown').length, 2);
      assert.equal(measured(once.run, 'balance')?.value, 200);
      assert.equal(measured(once.run, 'retries')?.value, 0, 'one send per call: nothing is sent again');
    });
  });

  describe('step crash: SIGKILL between a logged deposit and its reply, then a restart', () => {
    it('exactly-once: the restarted server answers the retry from its ledger; every check passes', async () => {
      const finished = await step('crash', 'crash', {});
      assertPassedWithMoments(finished);
      const { stored } = finished;
      const servers = of(stored, 'process.start', 'server');
      assert.equal(servers.length, 2, 'the server was started again');
      const death = of(stored, 'child.exit', 'supervisor').find((e) => e.childPid === servers[0]!.pid)!;
      assert.equal(death.signal, 'SIGKILL');
      assert.deepEqual(ledgerRuns(stored), [1, 1, 1]);
      assert.ok(
        of(stored, 'rpc.duplicate', 'server').some((d) => d.pid === servers[1]!.pid && d.action === 'replayed'),
        "of(stored, 'rpc.duplicate', 'server').some((d) => d.pid === servers[1]!.pid && d.action === 'repl...",
      );
      assert.equal(of(stored, 'measure', 'client').find((m) => m.name === 'balance')?.value, 300);
      assert.deepEqual(measured(finished.run, 'cut-deposit-runs'), { id: 'cut-deposit-runs', value: 1, unit: 'times' });
      assert.deepEqual(measured(finished.run, 'unanswered'), { id: 'unanswered', value: 0, unit: 'deposits' });
      assert.equal(measured(finished.run, 'balance')?.value, 300);
    });

    it('at-least-once runs the deposit twice; at-most-once leaves it unknown; no crash fails the crash check', async () => {
      const alo = await step('crash', 'crash', { semantics: 'at-least-once' });
      assert.deepEqual(checksOf(alo.run), { 'crash-between-execute-and-reply': true, 'each-deposit-once': false, 'every-call-answered': true });
      assertRanAtLeast(ledgerRuns(alo.stored), [1, 2, 1]);
      assert.ok(measured(alo.run, 'cut-deposit-runs')!.value >= 2, 'at-least-once ran the cut deposit again');
      const amo = await step('crash', 'crash', { semantics: 'at-most-once' });
      const amoChecks = checksOf(amo.run);
      const detail = JSON.stringify(amo.run.checks.map((c) => `${c.id}: ${c.detail}`));
      assert.equal(amoChecks['crash-between-execute-and-reply'], true, detail);
      assert.equal(amoChecks['every-call-answered'], false, detail);
      // At most once: no deposit in the ledger twice, and the one the crash cut ran. (each-deposit-once
      // also asks that every deposit ran; at-most-once does not promise that: a call that never reached
      // a server on a loaded machine ends unknown too.)
      const amoRuns = ledgerRuns(amo.stored);
      assert.ok(
        amoRuns.every((n) => n === 1),
        `at-most-once ran no deposit twice: ${amoRuns}; ${detail}`,
      );
      assert.ok(of(amo.stored, 'rpc.error', 'client').filter((e) => e.code === 'unknown').length >= 1, `the deposit the crash cut ends unknown; ${detail}`);
      assert.equal(measured(amo.run, 'cut-deposit-runs')?.value, 1, 'the cut deposit ran, once');
      assert.equal(
        measured(amo.run, 'unanswered')?.value,
        of(amo.stored, 'rpc.error', 'client').filter((e) => e.code === 'unknown').length,
        'each deposit given up is one unanswered',
      );
      const none = await step('crash', 'crash', { crashOnDeposit: 0 });
      assert.deepEqual(checksOf(none.run), { 'crash-between-execute-and-reply': false, 'each-deposit-once': true, 'every-call-answered': true });
      assert.equal(measured(none.run, 'cut-deposit-runs'), undefined, 'no crash cut any deposit');
    });
  });

  it("step matchmaker: the client calls the port the matchmaker gave, the server's random one; a hard-coded port fails", async () => {
    const matchmakerPort = 21111;
    const finished = await step('matchmaker', 'matchmaker', { matchmakerPort });
    assertPassedWithMoments(finished);
    const { stored } = finished;
    const listen = of(stored, 'socket.listen', 'server').find((l) => l.channel === 'bank')!;
    const port = listen.address.split(':').pop();
    assert.ok(
      of(stored, 'rpc.reply', 'client').some((r) => r.procedure === 'lookup' && r.result === port),
      "of(stored, 'rpc.reply', 'client').some((r) => r.procedure === 'lookup' && r.result === port)",
    );
    assert.ok(
      of(stored, 'rpc.execute', 'matchmaker').some((e) => e.procedure === 'register' && e.args.includes(`port: ${port}`)),
      "of(stored, 'rpc.execute', 'matchmaker').some((e) => e.procedure === 'register' && e.args.includes...",
    );

    const hardcoded = await step('matchmaker', 'matchmaker', { matchmakerPort, hardcodedPort: matchmakerPort + 1 });
    assert.deepEqual(checksOf(hardcoded.run), { 'port-from-matchmaker': false });
    assert.ok(
      of(hardcoded.stored, 'io.error', 'client').some((e) => e.op === 'connect' && e.code === 'ECONNREFUSED'),
      "of(hardcoded.stored, 'io.error', 'client').some((e) => e.op === 'connect' && e.code === 'ECONNREF...",
    );

    // The connect moved before the lookup, by ts: the check must not take it for the call after the lookup.
    const trace = traceOf(finished);
    const lookup = of(stored, 'rpc.reply', 'client').find((r) => r.procedure === 'lookup' && r.result === port)!;
    const early = {
      ...trace,
      events: trace.events.map((e) => (e.kind === 'socket.connect' && e.channel === 'bank' ? { ...e, ts: String(BigInt(lookup.ts) - 1n) } : e)),
    };
    assert.equal(checks['port-from-matchmaker'].check(memoryTrace(early)).passed, false);
  });

  it('step cost: a direct call two orders of magnitude below either remote one; with 1 ms of work per call it is not', async () => {
    const finished = await step('cost', 'cost', { calls: 1000 });
    assertPassedWithMoments(finished);
    const median = (way: string) => of(finished.stored, 'measure', 'client').find((m) => m.name === `${way}: median`)!.value;
    assert.ok(
      median('raw socket') >= 100 * median('direct') && median('rpc') >= 100 * median('direct'),
      "median('raw socket') >= 100 * median('direct') && median('rpc') >= 100 * median('direct')",
    );

    // The average remote call, from the trace alone: from the note that starts the timed calls to the
    // snapshot after them, per write() the kernel counted for the client (one per call, and the trace's own).
    const client = finished.run.processes.find((p) => p.role === 'client')!;
    for (const [way, id] of [
      ['raw socket', 'raw-round-trip'],
      ['rpc', 'rpc-round-trip'],
    ] as const) {
      const requests = of(finished.stored, 'snapshot.request', 'client');
      const before = requests.find((r) => r.reason === `before ${way} calls`)!;
      const after = requests.find((r) => r.reason === `after ${way} calls`)!;
      const start = of(finished.stored, 'note', 'client').find((n) => n.text.startsWith(`${way}: `))!;
      const io = (r: typeof before) => of(finished.stored, 'kernel.snapshot').find((s) => s.pid === client.pid && s.requested === r.reason)!.io!;
      const writes = io(after).syscw - io(before).syscw;
      // One per call, and a few more: the trace's own, and libuv's wake-ups (an eventfd write each), which
      // vary with the machine's load (1004 seen under load): the average is over them all.
      assert.ok(writes >= 1000 && writes <= 1050, `${way}: one write() per call: ${writes}`);
      const m = measured(finished.run, id);
      assert.equal(m?.unit, 'µs', id);
      assert.ok(Math.abs(m!.value - Number(BigInt(after.ts) - BigInt(start.ts)) / 1000 / writes) <= 0.051, `${id}: ${m!.value} µs`);
      assert.ok(m!.value * 1000 >= 100 * median('direct'), `${id}: a remote call is far dearer than a direct one`);
    }

    const work = await step('cost', 'cost', { calls: 200, workUs: 1000 });
    assert.deepEqual(checksOf(work.run), { 'local-far-cheaper': false });
    assert.ok(measured(work.run, 'rpc-round-trip')!.value >= 1000, 'each call computed 1 ms in the server');
    const workMedian = of(work.stored, 'measure', 'client').find((m) => m.name === 'direct: median')!.value;
    assert.ok(workMedian >= 1_000_000, `the direct call computed 1 ms: ${workMedian} ns`);
  });

  it('step bad-input: every bad input reported and the ordinary client served; without bad input, or with a fragile server, the checks fail', async () => {
    const finished = await step('bad-input', 'bad-input', { deposits: 8, pauseMs: 60 });
    assertPassedWithMoments(finished);
    const { stored } = finished;
    const notes = of(stored, 'note', 'intruder').map((n) => n.text);
    assert.deepEqual(notes, [
      'garbage (an HTTP request): the server closed the connection',
      'truncated record: the server closed the connection',
      'short header: the server closed the connection',
      'unknown program: the server answered PROG_UNAVAIL',
      'unknown procedure: the server answered PROC_UNAVAIL',
      'bad arguments: the server answered GARBAGE_ARGS',
    ]);
    const errors = of(stored, 'rpc.error', 'server');
    assert.match(errors.find((e) => e.code === 'record-too-large')!.message, /announces 1195725856 bytes.*Fix:/);
    assert.equal(of(stored, 'process.exit', 'server')[0]?.code, 0, 'the server did not crash');
    assert.deepEqual(measured(finished.run, 'deposits-answered'), { id: 'deposits-answered', value: 8, unit: 'deposits' });

    const quiet = await step('bad-input', 'bad-input', { deposits: 4, pauseMs: 20, sendBadInput: false });
    assert.deepEqual(checksOf(quiet.run), { 'bad-input-reported': false, 'others-served': true });
    const fragile = await step('bad-input', 'bad-input', { deposits: 8, pauseMs: 60, serverChecksInput: false });
    assert.deepEqual(checksOf(fragile.run), { 'bad-input-reported': false, 'others-served': false });
    const died = of(fragile.stored, 'child.exit', 'intruder').find((e) => e.childRole === 'server')!;
    assert.equal(died.code, 1, 'the uncaught exception ended the server');
    assert.ok(measured(fragile.run, 'deposits-answered')!.value < 8, 'the deposits after the crash found nobody');
  });
});
