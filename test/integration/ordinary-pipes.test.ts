/**
 * The ordinary-pipes lab on real processes and a real pipe: every step's checks pass on a correct run,
 * fail on a run that does not show the behaviour, and nothing is left behind.
 */
import { memoryTrace } from '../../main/engine/check-kit.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Measurement, RunSummary } from '../../main/contract/lab-model.js';
import type { StoredEvent, StoredEventOf } from '../../main/contract/trace-events.js';
import { findProjectRoot } from '../../main/project-root.js';
import labChecks, { bytesBeforeBlock, writeSizes } from '../../labs/01-ordinary-pipes/checks.js';
import { assertNothingLeft, checksOf, openHarness, runToEnd, traceOf, waitForEvent, type Harness } from '../support/engine-harness.js';

let harness: Harness;
before(async () => {
  harness = await openHarness();
});
after(async () => {
  await harness.close();
});

/** What a check of the run measured under `id` (what its questions are graded against), if any did. */
function measurementOf(run: Pick<RunSummary, 'checks'>, id: string): Measurement | undefined {
  return run.checks.flatMap((c) => c.measurements ?? []).find((m) => m.id === id);
}

/** Asleep (S) in a kernel function of the pipe code: wchan says pipe_write, pipe_read or anon_pipe_read depending on the kernel. */
function isAsleepInPipe(e: StoredEvent): boolean {
  return e.kind === 'kernel.snapshot' && e.state.startsWith('S') && /pipe/.test(e.wchan);
}

describe('ordinary pipes lab', () => {
  it('step one-way: messages flow parent to child through one real pipe', async () => {
    const { run, live, stored } = await runToEnd(harness.engine, { labId: 'ordinary-pipes', scenarioId: 'messages', stepId: 'one-way' });
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    assert.deepEqual(checksOf(run), { 'one-way-delivery': true, 'one-way-refused': true, 'same-pipe': true });
    assertMomentsAreEvents(run, stored);

    const parent = run.processes.find((p) => p.role === 'parent')!;
    const child = run.processes.find((p) => p.role === 'child')!;
    assert.equal(child.ppid, parent.pid, "the child is the parent's child, not the host's");
    assert.deepEqual([parent.exitCode, child.exitCode], [0, 0]);

    // The pipe the parent created is the object /proc shows at the child's descriptor 3, in the
    // snapshot the child asked for (so it does not depend on when periodic sampling ran).
    const created = stored.find((e) => e.kind === 'object.create') as StoredEventOf<'object.create'>;
    assert.match(created.object.name, /^pipe:\[\d+\]$/);
    const childSnapshots = stored.filter((e): e is StoredEventOf<'kernel.snapshot'> => e.kind === 'kernel.snapshot' && e.pid === child.pid);
    // The child's own request's view (the parent's requests may have sampled the child too).
    const childRequest = stored.find((e): e is StoredEventOf<'snapshot.request'> => e.kind === 'snapshot.request' && e.pid === child.pid)!;
    const asked = childSnapshots.find((s) => s.requested === childRequest.reason && BigInt(s.ts) >= BigInt(childRequest.ts));
    assert.ok(asked && asked.fds.some((fd) => fd.fd === 3 && fd.target === created.object.name), 'child fd 3 is the pipe, in the snapshot it asked for');
    const samePipe = run.checks.find((c) => c.id === 'same-pipe')!;
    assert.equal(samePipe.moment, asked.ts, "same-pipe opens the kernel view at the child's snapshot");
    // The child's trace channel is marked as IPC Lab's, so the student can tell it from the lab's.
    const childStart = stored.find((e): e is StoredEventOf<'process.start'> => e.kind === 'process.start' && e.pid === child.pid)!;
    assert.ok(childStart.traceFd !== undefined && childStart.traceFd > 2, 'the child names its trace channel');
    // A snapshot read while the child exits (its descriptors being closed, or a zombie's empty fd table)
    // may not list the trace channel at all: every snapshot that lists it marks it, and the one the child
    // asked for, taken while it ran, lists it.
    assert.equal(asked.fds.find((fd) => fd.fd === childStart.traceFd)?.runtime, 'trace channel');
    for (const snapshot of childSnapshots) {
      const traceChannel = snapshot.fds.find((fd) => fd.fd === childStart.traceFd);
      if (traceChannel) assert.equal(traceChannel.runtime, 'trace channel');
      assert.equal(snapshot.fds.find((fd) => fd.fd === 3)?.runtime, undefined, "the lab's pipe is not marked as the runtime's");
    }
    // Every message is stamped as sent before the child stamps it received (message.send precedes the write).
    const sends = stored.filter((e): e is StoredEventOf<'message.send'> => e.kind === 'message.send');
    const receives = stored.filter((e): e is StoredEventOf<'message.receive'> => e.kind === 'message.receive');
    assert.equal(receives.length, sends.length);
    sends.forEach((send, i) => assert.ok(BigInt(send.ts) < BigInt(receives[i]!.ts), `message ${i + 1} received before it was sent`));
    // What the messages-received question is graded against: the child's receives, counted off the trace.
    assert.deepEqual(measurementOf(run, 'messages-received'), { id: 'messages-received', value: 5, unit: 'messages' });

    // What was pushed live is what was stored, in the same order.
    assert.deepEqual(
      live.map((e) => e.seq),
      stored.map((e) => e.seq),
    );
    assert.deepEqual(
      stored.map((e) => e.seq),
      stored.map((_, i) => i + 1),
    );
    assertNothingLeft(run);
  });

  it('step one-way fails when the child does not try to write back', async () => {
    const { run } = await runToEnd(harness.engine, {
      labId: 'ordinary-pipes',
      scenarioId: 'messages',
      stepId: 'one-way',
      params: { messageDelayMs: 0, tryToReply: false },
    });
    assert.equal(run.status, 'failed');
    assert.equal(checksOf(run)['one-way-refused'], false);
    assertNothingLeft(run);
  });

  it('step one-way: a child that keeps an inherited write end writes into the pipe and reads its own reply', async () => {
    const { run, stored } = await runToEnd(harness.engine, {
      labId: 'ordinary-pipes',
      scenarioId: 'messages',
      stepId: 'one-way',
      params: { messageDelayMs: 0, inheritAll: true, childClosesWriteEnd: false },
    });
    assert.equal(run.status, 'failed');
    assert.deepEqual(checksOf(run), { 'one-way-delivery': false, 'one-way-refused': false, 'same-pipe': true });
    assert.ok(
      stored.some((e) => e.kind === 'message.receive' && e.role === 'child' && e.text === 'reply from the child'),
      'the child read its own reply',
    );
    assert.match(run.checks.find((c) => c.id === 'one-way-delivery')!.detail, /never sent: "reply from the child"/);
    assert.equal(measurementOf(run, 'messages-received')?.value, 6, "five of the parent's messages and the child's own reply");
    assertNothingLeft(run);
  });

  it('step one-way: a child handed nothing that calls pipe() itself gets another pipe, and the parent gets EPIPE', async () => {
    const { run, stored } = await runToEnd(harness.engine, {
      labId: 'ordinary-pipes',
      scenarioId: 'messages',
      stepId: 'one-way',
      params: { messageDelayMs: 0, childGetsPipe: false },
    });
    assert.equal(run.status, 'failed');
    assert.deepEqual(checksOf(run), { 'one-way-delivery': false, 'one-way-refused': true, 'same-pipe': false });
    const pipes = stored.filter((e): e is StoredEventOf<'object.create'> => e.kind === 'object.create' && e.object.type === 'pipe');
    assert.deepEqual(
      pipes.map((e) => e.role),
      ['parent', 'child'],
    );
    assert.notEqual(pipes[0]!.object.name, pipes[1]!.object.name, 'two pipe() calls, two pipes');
    assert.equal(stored.find((e): e is StoredEventOf<'io.error'> => e.kind === 'io.error' && e.role === 'parent')?.code, 'EPIPE');
    assert.equal(measurementOf(run, 'messages-received')?.value, 0, 'the child read nothing from its own pipe');
    assert.match(run.checks.find((c) => c.id === 'same-pipe')!.detail, new RegExp(`are ${pipes[1]!.object.name.replace(/[[\]]/g, '\\$&')}, another pipe`));
    assertNothingLeft(run);
  });

  it("step end-of-file: EOF follows the parent's close; without it the child hangs until the parent ends it", async () => {
    const good = await runToEnd(harness.engine, { labId: 'ordinary-pipes', scenarioId: 'messages', stepId: 'end-of-file', params: { messageDelayMs: 0 } });
    assert.equal(good.run.status, 'passed', JSON.stringify(good.run.checks));
    assert.deepEqual(checksOf(good.run), { 'eof-after-close': true, 'child-holds-no-write-end': true });
    assertMomentsAreEvents(good.run, good.stored);
    const close = good.stored.find((e) => e.kind === 'io.close' && e.role === 'parent' && e.end === 'write')!;
    const eof = good.stored.find((e) => e.kind === 'io.eof' && e.role === 'child')!;
    assert.ok(BigInt(close.ts) < BigInt(eof.ts), 'the close is stamped before the end of file it causes');
    assert.equal(good.run.checks.find((c) => c.id === 'eof-after-close')!.moment, eof.ts);
    // The time from the close to the end of file, off the two events' ts, to the microsecond.
    const eofAfter = measurementOf(good.run, 'eof-after-close-ms')!;
    assert.equal(eofAfter.unit, 'ms');
    assert.equal(eofAfter.value, Math.round(Number(BigInt(eof.ts) - BigInt(close.ts)) / 1e3) / 1e3);
    assert.ok(eofAfter.value > 0 && eofAfter.value < 1000, `end of file ${eofAfter.value} ms after the close`);
    assertNothingLeft(good.run);

    const stuck = await runToEnd(harness.engine, {
      labId: 'ordinary-pipes',
      scenarioId: 'messages',
      stepId: 'end-of-file',
      params: { messageDelayMs: 0, closeWriteEnd: false },
    });
    assert.equal(stuck.run.status, 'failed');
    assert.equal(checksOf(stuck.run)['eof-after-close'], false);
    assert.equal(stuck.run.processes.find((p) => p.role === 'child')?.signal, 'SIGTERM', 'the parent ended the hung child');
    assert.equal(measurementOf(stuck.run, 'eof-after-close-ms'), undefined, 'no end of file, nothing to measure');
    // Before ending it, the parent had the kernel view look: the child asleep in its pipe code.
    const moment = stuck.run.checks.find((c) => c.id === 'eof-after-close')!.moment;
    const seen = stuck.stored.find((e) => e.ts === moment);
    assert.ok(
      seen && seen.kind === 'kernel.snapshot' && seen.role === 'child' && isAsleepInPipe(seen),
      'the failed check opens where the child sleeps in read',
    );
    assertNothingLeft(stuck.run);
  });

  it('step end-of-file judges by time, not by the order events reached the host', async () => {
    const good = await runToEnd(harness.engine, { labId: 'ordinary-pipes', scenarioId: 'messages', stepId: 'end-of-file', params: { messageDelayMs: 0 } });
    assert.equal(good.run.status, 'passed', JSON.stringify(good.run.checks));
    // On a loaded machine the woken child's io.eof can reach the host before the parent's io.close
    // (11 of 27 runs failed so): replay this real trace in that arrival order.
    const events = [...good.stored];
    const close = events.findIndex((e) => e.kind === 'io.close' && e.role === 'parent' && e.end === 'write');
    const eof = events.findIndex((e) => e.kind === 'io.eof' && e.role === 'child');
    assert.ok(close < eof, 'stored with the close first');
    const [moved] = events.splice(close, 1);
    events.splice(eof, 0, moved!);
    const reordered = events.map((e, i) => ({ ...e, seq: i + 1 }));
    assert.ok(
      reordered.find((e) => e.kind === 'io.eof')!.seq < reordered.find((e) => e.kind === 'io.close' && e.role === 'parent' && e.end === 'write')!.seq,
      'now the EOF arrives first',
    );
    assert.equal(labChecks['eof-after-close'].check(memoryTrace({ ...traceOf(good), events: reordered })).passed, true);
    assertNothingLeft(good.run);
  });

  it('step end-of-file: a child that inherits every descriptor and keeps the write end never sees EOF', async () => {
    const leaked = await runToEnd(harness.engine, {
      labId: 'ordinary-pipes',
      scenarioId: 'messages',
      stepId: 'end-of-file',
      params: { messageDelayMs: 0, inheritAll: true, childClosesWriteEnd: false },
    });
    assert.equal(leaked.run.status, 'failed');
    assert.deepEqual(checksOf(leaked.run), { 'eof-after-close': false, 'child-holds-no-write-end': false });
    assert.equal(leaked.run.processes.find((p) => p.role === 'child')?.signal, 'SIGTERM');
    assert.ok(!leaked.stored.some((e) => e.kind === 'io.eof'), 'no end of file');
    // The kernel shows the parent's write-end number in the child's table, pointing at the pipe.
    const created = leaked.stored.find((e): e is StoredEventOf<'object.create'> => e.kind === 'object.create')!;
    const writeEnd = Number(/write end fd (\d+)/.exec(created.detail!)![1]);
    const moment = leaked.run.checks.find((c) => c.id === 'child-holds-no-write-end')!.moment;
    const seen = leaked.stored.find((e) => e.ts === moment);
    assert.ok(
      seen && seen.kind === 'kernel.snapshot' && seen.role === 'child' && seen.requested !== undefined,
      'the check opens on a snapshot the child asked for',
    );
    assert.ok(
      seen.fds.some((fd) => fd.fd === writeEnd && fd.target === created.object.name),
      `child fd ${writeEnd} is the write end`,
    );
    const eofCheck = leaked.run.checks.find((c) => c.id === 'eof-after-close')!;
    assert.match(eofCheck.detail, new RegExp(`the child itself still held one \\(descriptor ${writeEnd}\\)`));
    assert.match(eofCheck.hint, /close the write end it does not use/);
    assertNothingLeft(leaked.run);

    // The same inheritance, with the child closing the end it does not use: end of file comes.
    const closed = await runToEnd(harness.engine, {
      labId: 'ordinary-pipes',
      scenarioId: 'messages',
      stepId: 'end-of-file',
      params: { messageDelayMs: 0, inheritAll: true, childClosesWriteEnd: true },
    });
    assert.equal(closed.run.status, 'passed', JSON.stringify(closed.run.checks));
    assertNothingLeft(closed.run);
  });

  it('step capacity: the writer blocks when the pipe is full, and what went in is what the slots hold', async () => {
    const { run, stored } = await runToEnd(harness.engine, {
      labId: 'ordinary-pipes',
      scenarioId: 'capacity',
      stepId: 'capacity',
      // The step randomises the write size per student; this test is about 4096-byte writes.
      params: { readerDelayMs: 800, chunkBytes: 4096 },
    });
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    assertMomentsAreEvents(run, stored);
    const kernelSays = stored.find((e): e is StoredEventOf<'measure'> => e.kind === 'measure' && e.name === 'F_GETPIPE_SZ')!.value;
    const detail = run.checks.find((c) => c.id === 'capacity-measured')!.detail;
    assert.match(detail, new RegExp(`had written ${kernelSays.toLocaleString('en-US')} bytes`));
    assert.doesNotMatch(detail, /(\d+) bytes \(\1 bytes\)/, 'no number said twice');
    assert.deepEqual(measurementOf(run, 'bytes-before-block'), { id: 'bytes-before-block', value: kernelSays, unit: 'bytes' });
    // The step's writes are 4096 bytes each, and they fill the pipe exactly.
    assert.deepEqual(measurementOf(run, 'writes-before-block'), { id: 'writes-before-block', value: kernelSays / 4096, unit: 'writes' });
    // The blocked check opens where the kernel view saw the parent asleep in write(), inside that write.
    const moment = run.checks.find((c) => c.id === 'writer-blocked')!.moment;
    const seen = stored.find((e) => e.ts === moment);
    assert.ok(
      seen && seen.kind === 'kernel.snapshot' && seen.role === 'parent' && isAsleepInPipe(seen) && seen.requested !== undefined,
      'the check opens on the snapshot the child asked for, the parent asleep in write',
    );
    assertNothingLeft(run);
  });

  it('step capacity: 1000- and 5000-byte writes block where the slot model says, not at a byte count', async () => {
    for (const [chunkBytes, expected] of [
      [1000, 64_000],
      [5000, 50_000],
    ] as const) {
      const { run } = await runToEnd(harness.engine, {
        labId: 'ordinary-pipes',
        scenarioId: 'capacity',
        stepId: 'capacity',
        params: { readerDelayMs: 800, chunkBytes },
      });
      assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
      assert.match(run.checks.find((c) => c.id === 'capacity-measured')!.detail, new RegExp(`had written ${expected.toLocaleString('en-US')} bytes`));
      assertNothingLeft(run);
    }
  });

  it('the slot model gives the figures measured on this machine', () => {
    const at = (chunk: number): number | undefined => bytesBeforeBlock(writeSizes(chunk, 128 * 1024), 16, 4096)?.bytes;
    assert.deepEqual([1, 1000, 3000, 4096, 5000, 8192, 65536].map(at), [65_536, 64_000, 48_000, 65_536, 50_000, 65_536, 65_536]);
    assert.equal(bytesBeforeBlock(writeSizes(4096, 64 * 1024), 16, 4096), undefined, 'exactly what fits never blocks');
  });

  it('step capacity fails when the parent writes less than the pipe holds, and says so', async () => {
    const { run } = await runToEnd(harness.engine, { labId: 'ordinary-pipes', scenarioId: 'capacity', stepId: 'capacity', params: { totalKiB: 16 } });
    assert.equal(run.status, 'failed');
    assert.deepEqual(checksOf(run), { 'writer-blocked': false, 'capacity-measured': false });
    assert.match(run.checks.find((c) => c.id === 'writer-blocked')!.hint, /16,384 bytes \(16 KiB\) in all.*raise "Data to write in all"/);
    assertNothingLeft(run);
  });

  it("step broken-pipe: a write after the reader exited fails with EPIPE; with the parent's read end kept it succeeds", async () => {
    const { run, stored } = await runToEnd(harness.engine, { labId: 'ordinary-pipes', scenarioId: 'early-exit', stepId: 'broken-pipe' });
    assert.equal(run.status, 'passed', JSON.stringify(run.checks));
    const epipe = stored.find((e) => e.kind === 'io.error' && e.code === 'EPIPE');
    assert.equal(epipe?.role, 'parent');
    assert.equal(run.checks[0]!.moment, epipe.ts);
    assert.deepEqual(measurementOf(run, 'bytes-after-exit'), { id: 'bytes-after-exit', value: 0, unit: 'bytes' }, 'the refused write put nothing in');
    assertNothingLeft(run);

    const kept = await runToEnd(harness.engine, {
      labId: 'ordinary-pipes',
      scenarioId: 'early-exit',
      stepId: 'broken-pipe',
      params: { parentClosesReadEnd: false },
    });
    assert.equal(kept.run.status, 'failed');
    assert.ok(!kept.stored.some((e) => e.kind === 'io.error'), 'no write failed');
    assert.match(kept.run.checks[0]!.hint, /The parent kept its own read end/);
    // The control's write after the exit went in whole: what its io.end says.
    const exit = kept.stored.find((e) => e.kind === 'child.exit')!;
    const lastWrite = kept.stored.filter((e): e is StoredEventOf<'io.end'> => e.kind === 'io.end' && e.op === 'write' && BigInt(e.ts) > BigInt(exit.ts));
    assert.equal(lastWrite.length, 1);
    assert.equal(measurementOf(kept.run, 'bytes-after-exit')?.value, lastWrite[0]!.bytes);
    assert.ok(lastWrite[0]!.bytes > 0, 'the write after the exit put its line in');
    assertNothingLeft(kept.run);
  });

  it('stopping a run ends its blocked processes and removes its directory', async () => {
    const { run } = await runToEnd(
      harness.engine,
      { labId: 'ordinary-pipes', scenarioId: 'capacity', stepId: 'capacity', params: { readerDelayMs: 10_000 } },
      async (runId) => {
        await waitForEvent(harness.engine, (e) => e.kind === 'kernel.snapshot' && e.role === 'parent' && isAsleepInPipe(e));
        await harness.engine.call('runs.stop', { runId });
      },
    );
    assert.equal(run.status, 'stopped');
    assertNothingLeft(run);
  });
});

/** Every check that names a moment names the `ts` of an event of the run. */
function assertMomentsAreEvents(run: RunSummary, stored: StoredEvent[]): void {
  for (const check of run.checks) {
    assert.ok(check.moment !== null, `${check.id} names no moment`);
    assert.ok(
      stored.some((e) => e.ts === check.moment),
      `${check.id}'s moment ${check.moment} is no event's ts`,
    );
  }
}

describe('parameters and requests', () => {
  it('rejects out-of-range parameters with the range and the fix', async () => {
    const outcome = await harness.engine.handle('runs.start', { labId: 'ordinary-pipes', scenarioId: 'messages', params: { messages: 5000 } });
    assert.equal(outcome.ok, false);
    assert.ok(!outcome.ok, '!outcome.ok');
    assert.equal(outcome.error.code, 'bad-parameter');
    assert.match(outcome.error.message, /between 1 and 1000 messages \(got 5000\)/);
    assert.ok(outcome.error.fix.length > 0, 'outcome.error.fix.length > 0');
    assert.equal(harness.engine.currentRun, undefined, 'nothing started');
  });

  it('rejects unknown labs, scenarios, parameters and commands by name', async () => {
    const cases: [string, unknown, string][] = [
      ['runs.start', { labId: 'no-such-lab', scenarioId: 'x' }, 'unknown-lab'],
      ['runs.start', { labId: 'ordinary-pipes', scenarioId: 'nope' }, 'unknown-scenario'],
      ['runs.start', { labId: 'ordinary-pipes', scenarioId: 'messages', params: { colour: 1 } }, 'bad-parameter'],
      ['runs.start', { labId: 'ordinary-pipes', scenarioId: 'messages', params: { messages: 2.5 } }, 'bad-parameter'],
      ['runs.start', { labId: '../etc', scenarioId: 'messages' }, 'bad-request'],
      ['labs.get', { labId: 'ordinary-pipes', extra: true }, 'bad-request'],
      ['rm -rf', {}, 'unknown-command'],
    ];
    for (const [command, request, code] of cases) {
      const outcome = await harness.engine.handle(command, request);
      assert.ok(!outcome.ok, `${command} ${JSON.stringify(request)} should fail`);
      assert.equal(outcome.error.code, code, `${command} ${JSON.stringify(request)}: ${outcome.error.message}`);
    }
  });

  it('names every unknown parameter the same way, __proto__ included, over the wire and on the command line', async () => {
    // The wire's JSON.parse makes "__proto__" an own key, as it makes "constructor" one: neither may be dropped on the way.
    for (const name of ['__proto__', 'constructor', 'toString']) {
      const request: unknown = JSON.parse(`{"labId":"ordinary-pipes","scenarioId":"messages","params":{"${name}":1}}`);
      const outcome = await harness.engine.handle('runs.start', request);
      assert.ok(!outcome.ok, `params {"${name}": 1} should be refused, not run with the defaults`);
      assert.equal(outcome.error.code, 'bad-parameter', `${name}: ${outcome.error.message}`);
      assert.equal(outcome.error.message, `Unknown parameter "${name}".`);
      assert.equal(harness.engine.currentRun, undefined, 'nothing started');
    }
    const cli = join(findProjectRoot(), 'dist', 'main', 'cli', 'ipc-lab.js');
    for (const name of ['__proto__', 'constructor']) {
      const result = spawnSync(process.execPath, [cli, 'run', 'ordinary-pipes', '--step', 'one-way', '--set', `${name}=1`], {
        env: { ...process.env, IPC_LAB_HOME: harness.dataDir },
        encoding: 'utf8',
      });
      assert.equal(result.status, 2, `--set ${name}=1: exit ${result.status}, stdout ${result.stdout}, stderr ${result.stderr}`);
      assert.match(result.stderr, new RegExp(`Unknown parameter "${name}"\\.`), `--set ${name}=1: ${result.stderr}`);
      assert.doesNotMatch(result.stdout, /^Run \d+/m, `--set ${name}=1 started a run: ${result.stdout}`);
    }
  });

  it('keeps progress and answers across an engine restart', async () => {
    await harness.engine.call('answers.save', { labId: 'ordinary-pipes', stepId: 'one-way', text: 'in order' });
    const again = await openHarness();
    await again.close();
    const dataDir = harness.dataDir;
    const { openEngine } = await import('../../main/engine/engine.js');
    const reopened = await openEngine({ dataDir });
    try {
      const { progress } = await reopened.call('labs.get', { labId: 'ordinary-pipes' });
      assert.equal(progress['one-way']?.answer, 'in order');
      assert.equal(progress['one-way']?.status, 'passed');
      assert.equal(progress['capacity']?.status, 'passed', 'a failed run after a pass keeps the step passed');
    } finally {
      await reopened.close();
    }
  });
});
