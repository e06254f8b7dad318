/**
 * Only the run's own processes may use its trace socket. A stranger (a process of the same user that
 * the engine did not start, as any local program could be) finds the socket's path in a lab process's
 * environment and connects: silent, it must not keep the run alive; claiming a lab pid, it must not get
 * a single event stored. The engine checks the peer with SO_PEERCRED (unix(7)), which cannot be forged.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StoredEvent, StoredEventOf } from '../../main/contract/trace-events.js';
import type { RunSummary } from '../../main/contract/lab-model.js';
import { findProjectRoot } from '../../main/project-root.js';
import { assertNothingLeft, FIXTURE_LABS, openHarness, waitForEvent, type Harness } from '../support/engine-harness.js';
import { FixtureRunner, type Fixture } from '../support/fixture-process.js';

const fixtures = new FixtureRunner(join(findProjectRoot(), 'dist', 'test', 'fixtures', 'trace-socket'));
let harness: Harness;
before(async () => {
  harness = await openHarness(FIXTURE_LABS);
});
after(async () => {
  fixtures.killAll();
  await harness.close();
});

/** Rejects with `what` if `promise` has not settled within ms (so that a hang fails the test instead of stalling it). */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms / 1000} s`)), ms)));
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A run of the fixture that holds a pipe until it is stopped, once its program has spoken; and where a stranger finds its trace socket. */
async function holdingRun(): Promise<{ runId: number; holderPid: number; socketPath: string; done: Promise<RunSummary> }> {
  const holding = waitForEvent(harness.engine, (e) => e.kind === 'note' && e.text === 'holding');
  const { run } = await harness.engine.call('runs.start', { labId: 'runtime-calls', scenarioId: 'hold' });
  const done = harness.engine.currentRun!.done;
  const holderPid = (await holding).pid;
  const environ = readFileSync(`/proc/${holderPid}/environ`, 'utf8').split('\0');
  const socketPath = environ.find((v) => v.startsWith('IPC_LAB_TRACE_SOCKET='))!.slice('IPC_LAB_TRACE_SOCKET='.length);
  return { runId: run.runId, holderPid, socketPath, done };
}

/** Kills the stranger and waits for the run to end (it can only end once the stranger's connection is gone, before the fix). */
async function cleanUp(stranger: Fixture, done: Promise<RunSummary>, runId: number): Promise<RunSummary> {
  stranger.child.kill('SIGKILL');
  await stranger.exited;
  void harness.engine.handle('runs.stop', { runId });
  return within(10_000, 'the run did not end after the stranger was killed', done);
}

describe('the trace socket', () => {
  it('drops a silent stranger at once, with a warning, and the run still stops', async () => {
    const { runId, socketPath, done } = await holdingRun();
    const stranger = fixtures.run('stranger', [socketPath, 'silent']);
    await stranger.line(/^connected$/);
    const strangerPid = stranger.child.pid!;
    let stopped: RunSummary | undefined;
    try {
      await within(5_000, "the engine did not close the stranger's connection", stranger.line(/^closed$/));
      stopped = (await within(8_000, 'runs.stop did not answer', harness.engine.call('runs.stop', { runId }))).run;
    } finally {
      if (!stopped) await cleanUp(stranger, done, runId);
    }
    assert.equal(stopped.status, 'stopped');
    const stored = harness.engine.store.events(runId);
    const warning = stored.find((e): e is StoredEventOf<'host.warning'> => e.kind === 'host.warning' && e.text.includes(`pid ${strangerPid}`));
    assert.ok(warning, `a warning naming the stranger (pid ${strangerPid}) is in the trace`);
    assert.match(warning.text, /not one of this run's/);
    assertNothingLeft(stopped);
  });

  it('records the first few strangers only, and closes every one', async () => {
    const { runId, socketPath, done } = await holdingRun();
    const stranger = fixtures.run('stranger', [socketPath, 'silent', 40]);
    await stranger.line(/^connected$/);
    let stopped: RunSummary | undefined;
    try {
      await within(10_000, "the engine did not close the stranger's 40 connections", stranger.line(/^closed$/));
      stopped = (await within(8_000, 'runs.stop did not answer', harness.engine.call('runs.stop', { runId }))).run;
    } finally {
      if (!stopped) await cleanUp(stranger, done, runId);
    }
    const warnings = harness.engine.store.events(runId).filter((e): e is StoredEventOf<'host.warning'> => e.kind === 'host.warning');
    assert.equal(warnings.filter((e) => e.text.includes(`pid ${stranger.child.pid}`)).length, 20, 'one warning each for the first 20');
    assert.equal(warnings.filter((e) => /keep connecting/.test(e.text)).length, 1, 'then one that says the rest are not recorded');
    assertNothingLeft(stopped);
  });

  it("stores nothing from a stranger that claims a lab process's pid", async () => {
    const { runId, holderPid, socketPath, done } = await holdingRun();
    const injected = (e: StoredEvent) => e.kind === 'note' && e.text === 'injected by a stranger';
    const seen = Promise.race([
      waitForEvent(harness.engine, injected),
      waitForEvent(harness.engine, (e) => e.kind === 'host.warning' && /not one of this run's/.test(e.text)),
    ]);
    const stranger = fixtures.run('stranger', [socketPath, 'claim', holderPid, process.pid]);
    await stranger.line(/^sent$/);
    let stopped: RunSummary | undefined;
    try {
      await within(10_000, 'neither the injected note nor a warning came', seen);
      stopped = (await within(8_000, 'runs.stop did not answer', harness.engine.call('runs.stop', { runId }))).run;
    } finally {
      if (!stopped) stopped = await cleanUp(stranger, done, runId);
    }
    const stored = harness.engine.store.events(runId);
    assert.deepEqual(stored.filter(injected), [], 'the injected note was stored');
    assert.equal(stored.filter((e) => e.kind === 'process.start').length, 1, "one process.start, the holder's own");
    assert.ok(
      stored.some((e) => e.kind === 'host.warning' && e.text.includes(`pid ${stranger.child.pid}`)),
      'a warning names the stranger',
    );
    assertNothingLeft(stopped);
  });
});
