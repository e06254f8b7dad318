/**
 * The ordinary-pipes lab on real processes and a real pipe: every step's checks pass on a correct run,
 * fail on a run that does not show the behaviour, and nothing is left behind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StoredEvent, StoredEventOf } from '../../main/contract/trace-events.js';
import { assertNothingLeft, checksOf, openHarness, runToEnd, waitForEvent, type Harness } from '../support/engine-harness.js';

let harness: Harness;
before(async () => {
  harness = await openHarness();
});
after(async () => {
  await harness.close();
});

/** Asleep (S) in a kernel function of the pipe code: wchan says pipe_write, pipe_read or anon_pipe_read depending on the kernel. */
function isAsleepInPipe(e: StoredEvent): boolean {
  return e.kind === 'kernel.snapshot' && e.state.startsWith('S') && /pipe/.test(e.wchan);
}

describe('ordinary pipes lab', () => {
  it('step one-way: messages flow parent to child through one real pipe', async () => {
    const { run, live, stored } = await runToEnd(harness.engine, { labId: 'ordinary-pipes', scenarioId: 'messages', stepId: 'one-way' });
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    assert.deepEqual(checksOf(run), { 'one-way-delivery': true, 'one-way-refused': true, 'same-pipe': true });

    const parent = run.processes.find((p) => p.role === 'parent')!;
    const child = run.processes.find((p) => p.role === 'child')!;
    assert.equal(child.ppid, parent.pid, 'the child is the parent\'s child, not the host\'s');
    assert.deepEqual([parent.exitCode, child.exitCode], [0, 0]);

    // The pipe the parent created is the object /proc shows at the child's descriptor 3.
    const created = stored.find((e) => e.kind === 'object.create') as StoredEventOf<'object.create'>;
    assert.match(created.object.name, /^pipe:\[\d+\]$/);
    const childSnapshots = stored.filter((e): e is StoredEventOf<'kernel.snapshot'> => e.kind === 'kernel.snapshot' && e.pid === child.pid);
    assert.ok(childSnapshots.some((s) => s.fds.some((fd) => fd.fd === 3 && fd.target === created.object.name)), 'child fd 3 is the pipe');
    // The child's trace channel is marked as IPC Lab's (and only that descriptor), so the student can tell it from the lab's.
    const childStart = stored.find((e): e is StoredEventOf<'process.start'> => e.kind === 'process.start' && e.pid === child.pid)!;
    assert.ok(childStart.traceFd !== undefined && childStart.traceFd > 2);
    for (const snapshot of childSnapshots) {
      assert.deepEqual(snapshot.fds.filter((fd) => fd.runtime).map((fd) => [fd.fd, fd.runtime]), [[childStart.traceFd, 'trace channel']]);
      assert.match(snapshot.fds.find((fd) => fd.fd === childStart.traceFd)!.target, /^socket:\[\d+\]$/);
    }

    // What was pushed live is what was stored, in the same order.
    assert.deepEqual(live.map((e) => e.seq), stored.map((e) => e.seq));
    assert.deepEqual(stored.map((e) => e.seq), stored.map((_, i) => i + 1));
    assertNothingLeft(run);
  });

  it('step one-way fails when the child does not try to write back', async () => {
    const { run } = await runToEnd(harness.engine, { labId: 'ordinary-pipes', scenarioId: 'messages', stepId: 'one-way', params: { messageDelayMs: 0, tryToReply: false } });
    assert.equal(run.status, 'failed');
    assert.equal(checksOf(run)['one-way-refused'], false);
    assertNothingLeft(run);
  });

  it('step end-of-file: EOF follows the parent\'s close; without it the child hangs until the parent ends it', async () => {
    const good = await runToEnd(harness.engine, { labId: 'ordinary-pipes', scenarioId: 'messages', stepId: 'end-of-file', params: { messageDelayMs: 0 } });
    assert.equal(good.run.status, 'passed', JSON.stringify(good.run.checks));
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
    // While stuck, the kernel saw the child asleep in its pipe code.
    assert.ok(stuck.stored.some((e) => e.kind === 'kernel.snapshot' && e.role === 'child' && isAsleepInPipe(e)));
    assertNothingLeft(stuck.run);
  });

  it('step capacity: the writer blocks when the pipe is full, and the trace measures the capacity', async () => {
    const { run, stored } = await runToEnd(harness.engine, { labId: 'ordinary-pipes', scenarioId: 'capacity', stepId: 'capacity', params: { readerDelayMs: 800 } });
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    const kernelSays = stored.find((e): e is StoredEventOf<'measure'> => e.kind === 'measure' && e.name === 'F_GETPIPE_SZ')!.value;
    const detail = run.checks.find((c) => c.id === 'capacity-measured')!.detail;
    assert.match(detail, new RegExp(`\\(${kernelSays} bytes\\)`));
    assert.ok(stored.some((e) => e.kind === 'kernel.snapshot' && e.role === 'parent' && isAsleepInPipe(e)), 'the kernel saw the parent asleep in its pipe code');
    assertNothingLeft(run);
  });

  it('step capacity fails when the reader does not wait', async () => {
    const { run } = await runToEnd(harness.engine, { labId: 'ordinary-pipes', scenarioId: 'capacity', stepId: 'capacity', params: { readerDelayMs: 0, totalKiB: 16 } });
    assert.equal(run.status, 'failed');
    assert.equal(checksOf(run)['writer-blocked'], false);
    assertNothingLeft(run);
  });

  it('step broken-pipe: a write after the reader exited fails with EPIPE', async () => {
    const { run, stored } = await runToEnd(harness.engine, { labId: 'ordinary-pipes', scenarioId: 'early-exit', stepId: 'broken-pipe' });
    assert.equal(run.status, 'passed', JSON.stringify(run.checks));
    const epipe = stored.find((e) => e.kind === 'io.error' && e.code === 'EPIPE');
    assert.equal(epipe?.role, 'parent');
    assertNothingLeft(run);
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

describe('parameters and requests', () => {
  it('rejects out-of-range parameters with the range and the fix', async () => {
    const outcome = await harness.engine.handle('runs.start', { labId: 'ordinary-pipes', scenarioId: 'messages', params: { messages: 5000 } });
    assert.equal(outcome.ok, false);
    assert.ok(!outcome.ok);
    assert.equal(outcome.error.code, 'bad-parameter');
    assert.match(outcome.error.message, /between 1 and 1000 messages \(got 5000\)/);
    assert.ok(outcome.error.fix.length > 0);
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
