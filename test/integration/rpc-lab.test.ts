/**
 * The RPC lab on real processes and real TCP sockets: every step's checks pass on a correct run and
 * fail on a run without the behaviour; deposits through a faulty link give the right balance with
 * at-most-once and exactly-once and a wrong one without protection; the matchmaker's port is the
 * server's; a server fed garbage keeps serving its ordinary client; nothing is left behind.
 *
 * Where a parameter removes the behaviour (raw native send off, semantics none), the test runs it.
 * Where none can (the request's bytes, the lookup), the check is run again on the real trace with the
 * evidence removed or altered, to show that it can fail.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ParamValues } from '../../main/contract/lab-model.js';
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

function finalBalance(stored: StoredEvent[]): number | undefined {
  return of(stored, 'measure', 'client').find((m) => m.name === 'final balance')?.value;
}

describe('RPC lab', () => {
  it('step stubs: the request is labelled field by field and the result comes back', async () => {
    const finished = await step('call', 'stubs', { amount: 1000 });
    const { run, stored } = finished;
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    const server = run.processes.find((p) => p.role === 'server')!;
    const client = run.processes.find((p) => p.role === 'client')!;
    assert.equal(server.ppid, client.pid, 'the client started the server');
    const execute = of(stored, 'rpc.execute', 'server')[0]!;
    assert.equal(execute.procedure, 'deposit');
    assert.equal(execute.pid, server.pid, 'the deposit ran in the server process');
    const request = of(stored, 'message.bytes', 'client').find((m) => m.direction === 'send')!;
    assert.match(request.hex, /^80 00 00 38 /, 'record mark: last fragment, 56 bytes');
    assert.ok(request.hex.endsWith('00 00 00 05 61 6c 69 63 65 00 00 00 00 00 03 e8'), request.hex);

    // Evidence altered: the request's amount field says something else than the call.
    const trace = traceOf(finished);
    const altered = {
      ...trace,
      events: trace.events.map((e) =>
        e.kind === 'message.bytes' && e.direction === 'send' ? { ...e, fields: e.fields.map((f) => (f.path === 'args.amount' ? { ...f, value: '7' } : f)) } : e,
      ),
    };
    assert.equal(checks['request-fields-match-call'].check(altered).passed, false);
    const noExecute = { ...trace, events: trace.events.filter((e) => e.kind !== 'rpc.execute') };
    assert.equal(checks['result-right'].check(noExecute).passed, false);
  });

  it('step endianness: 1000 in native order arrives as 3892510720; in XDR as 1000; without the raw send the check fails', async () => {
    const { run, stored } = await step('endianness', 'endianness', { value: 1000, sendNative: true });
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    assert.deepEqual(of(stored, 'message.receive', 'receiver').map((m) => m.text), ['3892510720', '1000']);
    assert.deepEqual(of(stored, 'message.bytes', 'sender').map((m) => [m.encoding, m.hex]), [
      ['native (little-endian)', '80 00 00 04 e8 03 00 00'],
      ['xdr', '80 00 00 04 00 00 03 e8'],
    ]);

    const without = await step('endianness', 'endianness', { value: 1000, sendNative: false });
    assert.equal(without.run.status, 'failed');
    assert.deepEqual(checksOf(without.run), { 'native-order-misread': false });
  });

  describe('step failures: the final balance under injected faults, for each semantics', () => {
    const base = { deposits: 4, amount: 100, faultEvery: 2, timeoutMs: 400, attempts: 4, delayMs: 900 };

    it('none + drop-reply: a retried deposit runs twice, the balance is wrong, the checks fail', async () => {
      const { run, stored } = await step('failures', 'failures', { ...base, fault: 'drop-reply', semantics: 'none' });
      assert.equal(finalBalance(stored), 600, 'deposits 2 and 4 ran twice');
      assert.equal(of(stored, 'rpc.duplicate', 'server').filter((d) => d.action === 'executed-again').length, 2);
      assert.deepEqual(checksOf(run), { 'balance-right': false, 'faults-and-retries': true, 'duplicates-suppressed': false });
    });

    it('none + duplicate-request: the doubled request runs twice', async () => {
      const { run, stored } = await step('failures', 'failures', { ...base, fault: 'duplicate-request', semantics: 'none' });
      assert.equal(finalBalance(stored), 600);
      assert.equal(checksOf(run)['balance-right'], false);
    });

    for (const [semantics, fault, action] of [
      ['at-most-once', 'drop-reply', 'replayed'],
      ['at-most-once', 'duplicate-request', 'replayed'],
      ['exactly-once', 'drop-reply', 'replayed'],
      ['exactly-once', 'delay', 'dropped'],
    ] as const) {
      it(`${semantics} + ${fault}: each deposit counted once (duplicates ${action})`, async () => {
        const finished = await step('failures', 'failures', { ...base, fault, semantics });
        const { run, stored } = finished;
        assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
        assert.equal(finalBalance(stored), 400);
        assert.equal(of(stored, 'rpc.execute', 'server').filter((e) => e.procedure === 'deposit').length, 4);
        const duplicates = of(stored, 'rpc.duplicate', 'server');
        assert.equal(duplicates.length, 2);
        assert.ok(duplicates.every((d) => d.action === action), JSON.stringify(duplicates));
        if (fault !== 'duplicate-request') assert.equal(of(stored, 'rpc.call', 'client').filter((c) => c.attempt === 2).length, 2);
        if (semantics === 'exactly-once') {
          const acks = of(stored, 'message.bytes', 'client').filter((m) => m.fields.some((f) => f.path === 'msgType' && f.value === 'ACK (2)'));
          assert.equal(acks.length, 5, 'one ACK per answered call');
        }
        // Without the injected faults in the trace, the fault check fails.
        const trace = traceOf(finished);
        assert.equal(checks['faults-and-retries'].check({ ...trace, events: trace.events.filter((e) => e.kind !== 'rpc.fault') }).passed, false);
      });
    }
  });

  it('step matchmaker: the client calls the port the matchmaker gave, the server\'s random one', async () => {
    const finished = await step('matchmaker', 'matchmaker', { matchmakerPort: 20000 + (process.pid % 1000) });
    const { run, stored } = finished;
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    const listen = of(stored, 'socket.listen', 'server').find((l) => l.channel === 'bank')!;
    const port = listen.address.split(':').pop();
    assert.ok(of(stored, 'rpc.reply', 'client').some((r) => r.procedure === 'lookup' && r.result === port));
    assert.ok(of(stored, 'rpc.execute', 'matchmaker').some((e) => e.procedure === 'register' && e.args.includes(`port: ${port}`)));

    const trace = traceOf(finished);
    const noLookup = { ...trace, events: trace.events.filter((e) => !(e.kind === 'rpc.reply' && e.channel === 'matchmaker')) };
    assert.equal(checks['port-from-matchmaker'].check(noLookup).passed, false);
    const elsewhere = {
      ...trace,
      events: trace.events.map((e) => (e.kind === 'socket.connect' && e.channel === 'bank' ? { ...e, remote: '127.0.0.1:1' } : e)),
    };
    assert.equal(checks['port-from-matchmaker'].check(elsewhere).passed, false);
  });

  it('step cost: three ways measured over every call', async () => {
    const finished = await step('cost', 'cost', { calls: 500 });
    assert.equal(finished.run.status, 'passed', JSON.stringify(finished.run.checks, null, 2));
    const trace = traceOf(finished);
    const noRpc = { ...trace, events: trace.events.filter((e) => !(e.kind === 'measure' && e.name.startsWith('rpc:'))) };
    assert.equal(checks['three-ways-measured'].check(noRpc).passed, false);
    const wrong = { ...trace, events: trace.events.map((e) => (e.kind === 'measure' && e.name === 'raw socket: right results' ? { ...e, value: 499 } : e)) };
    assert.equal(checks['three-ways-measured'].check(wrong).passed, false);
  });

  it('step bad-input: garbage, truncated, unknown program and procedure, bad arguments; the ordinary client is served throughout', async () => {
    const finished = await step('bad-input', 'bad-input', { deposits: 8, pauseMs: 60 });
    const { run, stored } = finished;
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
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
    assert.equal(finalBalance(stored), 80);

    const trace = traceOf(finished);
    const noGarbage = { ...trace, events: trace.events.filter((e) => !(e.kind === 'rpc.error' && e.code === 'GARBAGE_ARGS')) };
    assert.equal(checks['bad-input-reported'].check(noGarbage).passed, false);
    const lastError = errors[errors.length - 1]!;
    const stalled = { ...trace, events: trace.events.filter((e) => !(e.kind === 'rpc.reply' && e.role === 'client' && e.seq > lastError.seq)) };
    assert.equal(checks['others-served'].check(stalled).passed, false);
  });
});
