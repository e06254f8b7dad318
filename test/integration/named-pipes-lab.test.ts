/**
 * The named-pipes lab on real processes and real FIFOs: every step's checks pass on a correct run and
 * fail on a run that does not show the behaviour, writes of at most PIPE_BUF arrive whole while larger
 * ones interleave, and nothing is left behind (no process, no run directory, no FIFO).
 *
 * Where no parameter can take the behaviour away (two unrelated processes, a two-way conversation),
 * the check is run again on the real trace with the evidence removed, to show that it can fail.
 */
import { memoryTrace } from '../../main/engine/check-kit.js';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Measurement, RunSummary } from '../../main/contract/lab-model.js';
import type { StoredEvent, StoredEventOf } from '../../main/contract/trace-events.js';
import checks from '../../labs/04-named-pipes/checks.js';
import { assertNothingLeft, checksOf, openHarness, runToEnd, traceOf, waitForEvent, type FinishedRun, type Harness } from '../support/engine-harness.js';

let harness: Harness;
before(async () => {
  harness = await openHarness();
});
after(async () => {
  await harness.close();
});

const LAB = 'named-pipes';

function measure(events: StoredEvent[], name: string): number | undefined {
  return events.find((e): e is StoredEventOf<'measure'> => e.kind === 'measure' && e.name === name)?.value;
}

/** What a check of the run measured under `id` (what its questions are graded against), if any did. */
function measurementOf(run: Pick<RunSummary, 'checks'>, id: string): Measurement | undefined {
  return run.checks.flatMap((c) => c.measurements ?? []).find((m) => m.id === id);
}

/** What write() or read() returned on the records FIFO, added up, for one role. */
function bytesOf(events: StoredEvent[], role: string, op: 'read' | 'write'): number {
  return events
    .filter((e): e is StoredEventOf<'io.end'> => e.kind === 'io.end' && e.role === role && e.op === op && e.channel === 'records')
    .reduce((sum, e) => sum + e.bytes, 0);
}

function fifosCreated(events: StoredEvent[]): string[] {
  return events.filter((e): e is StoredEventOf<'object.create'> => e.kind === 'object.create' && e.object.type === 'fifo').map((e) => e.object.name);
}

/** Nothing of the run is left: its processes, its directory and every FIFO made in it. */
function assertAllGone({ run, stored }: FinishedRun): void {
  assertNothingLeft(run);
  const fifos = fifosCreated(stored);
  assert.ok(fifos.length > 0, 'the run made a FIFO');
  for (const path of fifos) {
    assert.equal(existsSync(path), false, `${path} is left`);
    assert.equal(existsSync(dirname(path)), false, `the run directory ${dirname(path)} is left`);
  }
}

describe('named pipes lab', () => {
  it('step unrelated-processes: two processes started by the host meet at one FIFO path', async () => {
    const finished = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'two-programs', stepId: 'unrelated-processes', params: { createDelayMs: 600 } });
    const { run, stored } = finished;
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    assert.deepEqual(checksOf(run), { 'messages-through-fifo': true, 'unrelated-processes': true, 'same-fifo-in-kernel': true });

    const reader = run.processes.find((p) => p.role === 'reader')!;
    const writer = run.processes.find((p) => p.role === 'writer')!;
    assert.equal(reader.ppid, process.pid, 'the host started the reader');
    assert.equal(writer.ppid, process.pid, 'the host started the writer');

    // The FIFO is in the run's directory, and /proc shows it by that path in both processes, in the
    // snapshots each asked for while it held the FIFO (not only when the periodic sampling came by).
    const [path] = fifosCreated(stored);
    assert.match(path!, /\/ipc-lab-run-[^/]+\/chat\.fifo$/);
    for (const role of ['reader', 'writer']) {
      const request = stored.find((e) => e.kind === 'snapshot.request' && e.role === role);
      assert.ok(request, `the ${role} asked for a kernel snapshot`);
    }
    for (const pid of [reader.pid, writer.pid]) {
      assert.ok(
        stored.some((e) => e.kind === 'kernel.snapshot' && e.pid === pid && e.fds.some((fd) => fd.target === path)),
        `pid ${pid} held ${path}`,
      );
    }
    // Every message was traced as sent before the reader received it (same monotonic clock).
    const sends = stored.filter((e): e is StoredEventOf<'message.send'> => e.kind === 'message.send');
    const receives = stored.filter((e): e is StoredEventOf<'message.receive'> => e.kind === 'message.receive');
    receives.forEach((r, i) => assert.ok(BigInt(sends[i]!.ts) < BigInt(r.ts), `message ${r.messageId} received before it was sent`));
    // The step randomises the writer's message count per student: the run says which this data folder got.
    assert.deepEqual(measurementOf(run, 'messages-received'), { id: 'messages-received', value: run.params.messages, unit: 'messages' });
    // The writer looked before the reader had made it, and waited.
    const notes = stored.filter((e): e is StoredEventOf<'note'> => e.kind === 'note' && e.role === 'writer').map((e) => e.text);
    assert.ok(
      notes.some((t) => /ENOENT/.test(t)),
      notes.join('\n'),
    );

    // The checks fail on the same trace without the evidence.
    const trace = traceOf(finished);
    const noWriterSnapshots = { ...trace, events: trace.events.filter((e) => !(e.kind === 'kernel.snapshot' && e.role === 'writer')) };
    assert.equal(checks['same-fifo-in-kernel'].check(memoryTrace(noWriterSnapshots)).passed, false);
    const writerIsChild = { ...trace, processes: trace.processes.map((p) => (p.role === 'writer' ? { ...p, ppid: reader.pid } : p)) };
    assert.equal(checks['unrelated-processes'].check(memoryTrace(writerIsChild)).passed, false);
    const lostMessage = { ...trace, events: trace.events.filter((e) => !(e.kind === 'message.receive' && e.messageId === 3)) };
    assert.equal(checks['messages-through-fifo'].check(memoryTrace(lostMessage)).passed, false);
    assertAllGone(finished);
  });

  it('step open-blocks: the writer is blocked in open() until the reader opens', async () => {
    const finished = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'two-programs', stepId: 'open-blocks' });
    const { run, stored } = finished;
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    const writerOpen = stored.find((e): e is StoredEventOf<'io.end'> => e.kind === 'io.end' && e.role === 'writer' && e.op === 'open')!;
    assert.ok(BigInt(writerOpen.durationNs) >= 500_000_000n, `the writer's open took ${writerOpen.durationNs} ns`);
    const readerOpen = stored.find((e): e is StoredEventOf<'io.end'> => e.kind === 'io.end' && e.role === 'reader' && e.op === 'open')!;
    assert.ok(BigInt(readerOpen.durationNs) < 100_000_000n, 'the reader, second to open, did not wait');
    // What the open questions are graded against: each open's duration, in ms to the microsecond.
    const toMs = (ns: string) => Math.round(Number(ns) / 1e3) / 1e3;
    assert.deepEqual(measurementOf(run, 'writer-open-ms'), { id: 'writer-open-ms', value: toMs(writerOpen.durationNs), unit: 'ms' });
    assert.deepEqual(measurementOf(run, 'reader-open-ms'), { id: 'reader-open-ms', value: toMs(readerOpen.durationNs), unit: 'ms' });
    // Meanwhile the kernel saw the writer asleep in the FIFO's open.
    assert.ok(
      stored.some((e) => e.kind === 'kernel.snapshot' && e.role === 'writer' && e.state.startsWith('S') && /wait_for_partner|fifo_open/.test(e.wchan)),
      'the writer was seen asleep in wait_for_partner',
    );
    assertAllGone(finished);
  });

  it('step open-blocks fails when the reader opens at once', async () => {
    const finished = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'two-programs', stepId: 'open-blocks', params: { readerOpenDelayMs: 0 } });
    assert.equal(finished.run.status, 'failed');
    assert.deepEqual(checksOf(finished.run), { 'open-waited-for-reader': false, 'messages-through-fifo': true });
    assert.ok(measurementOf(finished.run, 'writer-open-ms')!.value < 500, 'the control: the writer, second to open, hardly waited');
    assertAllGone(finished);
  });

  it('steps atomic-writes and large-writes: records up to PIPE_BUF arrive whole, larger ones interleave', async () => {
    // At most PIPE_BUF, 4096 included: every record whole, every byte there.
    for (const params of [{}, { recordBytes: 4096, records: 60 }] as Record<string, number>[]) {
      const finished = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'writers', stepId: 'atomic-writes', params });
      const { run, stored } = finished;
      assert.equal(run.status, 'passed', `${run.params.recordBytes} bytes: ${JSON.stringify(run.checks, null, 2)}`);
      assert.ok(Number(run.params.records) * Number(run.params.recordBytes) * 3 > 64 * 1024, 'more than the FIFO holds');
      assert.equal(measure(stored, 'records whole'), 3 * Number(run.params.records));
      assert.equal(measure(stored, 'pieces mixed'), 0);
      assert.equal(run.processes.filter((p) => p.role === 'writer').length, 3);
      // The measurements, read off the trace, agree with what the reader counted itself.
      assert.deepEqual(measurementOf(run, 'records-whole'), { id: 'records-whole', value: 3 * Number(run.params.records), unit: 'records' });
      assert.deepEqual(measurementOf(run, 'pieces-mixed'), { id: 'pieces-mixed', value: 0, unit: 'pieces' });
      assert.equal(measurementOf(run, 'bytes-read')?.value, bytesOf(stored, 'reader', 'read'));
      assert.equal(measurementOf(run, 'bytes-written')?.value, bytesOf(stored, 'writer', 'write'));
      // Every writer blocked on the full FIFO before the first read: 16 slots of 4096 bytes, whole records only.
      assert.deepEqual(measurementOf(run, 'bytes-before-first-read'), { id: 'bytes-before-first-read', value: 65_536, unit: 'bytes' });
      assertAllGone(finished);
    }

    // Above PIPE_BUF: some pieces hold two writers' bytes, and still no byte is lost.
    const large = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'writers', stepId: 'large-writes' });
    assert.equal(large.run.status, 'passed', JSON.stringify(large.run.checks, null, 2));
    const mixed = measure(large.stored, 'pieces mixed')!;
    assert.ok(mixed > 0, 'mixed > 0');
    assert.equal(measure(large.stored, 'records whole')! + mixed, 3 * 40);
    assert.equal(measure(large.stored, 'bytes read'), 3 * 40 * 8192);
    assert.deepEqual(measurementOf(large.run, 'pieces-mixed'), { id: 'pieces-mixed', value: mixed, unit: 'pieces' });
    assert.equal(measurementOf(large.run, 'records-whole')?.value, measure(large.stored, 'records whole'));
    assert.deepEqual(measurementOf(large.run, 'bytes-read'), { id: 'bytes-read', value: 3 * 40 * 8192, unit: 'bytes' });
    // The reader began only once the kernel showed every writer asleep in a pipe write.
    assert.ok(
      large.stored.some((e) => e.kind === 'kernel.snapshot' && e.role === 'writer' && /pipe_write/.test(e.wchan)),
      'a writer was seen blocked on the full FIFO',
    );
    const example = large.stored.find((e): e is StoredEventOf<'note'> => e.kind === 'note' && e.text.includes('mixes two writers'))!;
    assert.match(example.text, /([A-C])×\d+.*(?!\1)[A-C]×\d+/, 'a corrupted piece holds runs of two letters');
    assertAllGone(large);
  });

  it('step atomic-writes fails with records above PIPE_BUF; step large-writes fails with records of PIPE_BUF', async () => {
    const mixed = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'writers', stepId: 'atomic-writes', params: { recordBytes: 8192, records: 40 } });
    assert.equal(mixed.run.status, 'failed');
    assert.deepEqual(checksOf(mixed.run), { 'small-writes-whole': false, 'every-byte-arrived': true });
    assert.ok(measurementOf(mixed.run, 'pieces-mixed')!.value > 0, 'the control: some pieces mixed');
    assert.equal(measurementOf(mixed.run, 'pieces-mixed')!.value + measurementOf(mixed.run, 'records-whole')!.value, 3 * 40);
    assertAllGone(mixed);

    const whole = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'writers', stepId: 'large-writes', params: { recordBytes: 4096 } });
    assert.equal(whole.run.status, 'failed');
    assert.deepEqual(checksOf(whole.run), { 'large-writes-interleaved': false, 'every-byte-arrived': true });
    assertAllGone(whole);
  });

  it('step two-way: pings and pongs go over two FIFOs, and no process reads back its own message', async () => {
    const finished = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'conversation', stepId: 'two-way', params: { pingDelayMs: 20 } });
    const { run, stored } = finished;
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    assert.deepEqual(
      fifosCreated(stored).map((p) => p.slice(p.lastIndexOf('/') + 1)),
      ['to-server.fifo', 'to-client.fifo'],
    );
    // The kernel view, asked for by the client after its first pong, shows both processes holding both.
    for (const role of ['client', 'server']) {
      assert.ok(
        stored.some((e) => e.kind === 'kernel.snapshot' && e.role === role && fifosCreated(stored).every((path) => e.fds.some((fd) => fd.target === path))),
        `the ${role} was seen holding both FIFOs`,
      );
    }

    const trace = traceOf(finished);
    assert.deepEqual(measurementOf(run, 'messages-read-back'), { id: 'messages-read-back', value: 0, unit: 'messages' });

    const lostPong = { ...trace, events: trace.events.filter((e) => !(e.kind === 'message.receive' && e.channel === 'to-client' && e.messageId === 5)) };
    assert.equal(checks['ping-pong-answered'].check(memoryTrace(lostPong)).passed, false);
    assertAllGone(finished);
  });

  it('step two-way with one FIFO both ways: the kernel lets both open it O_RDWR, and the client reads back its own ping', async () => {
    const finished = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'conversation', stepId: 'two-way', params: { fifos: 'one' } });
    const { run, stored } = finished;
    assert.equal(run.status, 'failed');
    assert.deepEqual(checksOf(run), { 'ping-pong-answered': false, 'no-message-read-back': false });
    const opens = stored.filter((e): e is StoredEventOf<'object.open'> => e.kind === 'object.open' && e.channel === 'chat');
    assert.deepEqual(opens.map((e) => [e.role, e.detail?.endsWith('O_RDWR')]).sort(), [
      ['client', true],
      ['server', true],
    ]);
    const client = run.processes.find((p) => p.role === 'client')!;
    const readBack = stored.find((e): e is StoredEventOf<'message.receive'> => e.kind === 'message.receive' && e.role === 'client');
    assert.match(readBack!.text!, new RegExp(`^ping 1 from pid ${client.pid}$`));
    assert.match(run.checks.find((c) => c.id === 'no-message-read-back')!.detail, /read back its own message/);
    assert.ok(measurementOf(run, 'messages-read-back')!.value >= 1, 'the control: at least one message read back by its writer');
    assertAllGone(finished);
  });

  it('step lifetime: the FIFO outlives its processes, holds no data, and is gone once unlinked', async () => {
    const finished = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'lifetime', stepId: 'lifetime' });
    const { run, stored } = finished;
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    assert.equal(measure(stored, 'st_size'), 0);
    assert.equal(measure(stored, 'bytes left in the FIFO'), 0);
    assert.deepEqual(measurementOf(run, 'bytes-left'), { id: 'bytes-left', value: 0, unit: 'bytes' });
    assert.deepEqual(measurementOf(run, 'bytes-unread'), { id: 'bytes-unread', value: 2 * 32, unit: 'bytes' }, 'two 32-byte messages left unread');
    const inspector = run.processes.find((p) => p.role === 'inspector')!;
    assert.ok(
      run.processes.filter((p) => p.role !== 'keeper').every((p) => p.exitCode === 0),
      "run.processes.filter((p) => p.role !== 'keeper').every((p) => p.exitCode === 0)",
    );
    assert.equal(inspector.ppid, run.processes.find((p) => p.role === 'keeper')!.pid);
    assertAllGone(finished);
  });

  it('step lifetime without unlink fails its unlink check, and the host still removes the FIFO', async () => {
    const finished = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'lifetime', stepId: 'lifetime', params: { unlink: false } });
    assert.equal(finished.run.status, 'failed');
    assert.deepEqual(checksOf(finished.run), { 'fifo-outlived-processes': true, 'no-data-kept': true, 'fifo-unlinked': false });
    assertAllGone(finished);
  });

  it('step lifetime: a reader that unlinks the FIFO leaves the inspector nothing to find; one that reads all leaves nothing to lose', async () => {
    const unlinked = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'lifetime', stepId: 'lifetime', params: { readerUnlinks: true } });
    assert.equal(unlinked.run.status, 'failed');
    assert.deepEqual(checksOf(unlinked.run), { 'fifo-outlived-processes': false, 'no-data-kept': false, 'fifo-unlinked': false });
    assert.equal(measurementOf(unlinked.run, 'bytes-left'), undefined, 'the inspector read nothing, so nothing is measured');
    assert.ok(
      unlinked.stored.some((e) => e.kind === 'note' && e.role === 'inspector' && /ENOENT/.test(e.text)),
      "unlinked.stored.some((e) => e.kind === 'note' && e.role === 'inspector' && /ENOENT/.test(e.text))",
    );
    assertAllGone(unlinked);

    const readAll = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'lifetime', stepId: 'lifetime', params: { messages: 3, reads: 3 } });
    assert.deepEqual(checksOf(readAll.run), { 'fifo-outlived-processes': true, 'no-data-kept': false, 'fifo-unlinked': true });
    assert.equal(measurementOf(readAll.run, 'bytes-unread')?.value, 0);
    assertAllGone(readAll);
  });

  it('stopping a run ends a writer blocked in open() and removes the FIFO', async () => {
    const finished = await runToEnd(
      harness.engine,
      { labId: LAB, scenarioId: 'two-programs', stepId: 'open-blocks', params: { readerOpenDelayMs: 10_000 } },
      async (runId) => {
        await waitForEvent(harness.engine, (e) => e.kind === 'kernel.snapshot' && e.role === 'writer' && /wait_for_partner|fifo_open/.test(e.wchan));
        await harness.engine.call('runs.stop', { runId });
      },
    );
    assert.equal(finished.run.status, 'stopped');
    assertAllGone(finished);
  });
});
