/**
 * The shared-memory lab on real processes and real POSIX segments: every step's checks pass on a
 * correct run and fail on one that does not show the behaviour, and no segment is left in /dev/shm
 * after a normal end, a stop, or a SIGKILLed lab process.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
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

/** Segments this test process's engine made (named /ipc-lab-<pid>-<run>-…). */
function mySegments(): string[] {
  return readdirSync('/dev/shm').filter((name) => name.startsWith(`ipc-lab-${process.pid}-`));
}

function measure(events: StoredEvent[], name: string): number | undefined {
  return events.find((e): e is StoredEventOf<'measure'> => e.kind === 'measure' && e.name === name)?.value;
}

describe('shared memory lab', () => {
  it('step segment: an unrelated process attaches the segment by name and both map the same /dev/shm file', async () => {
    const { run, stored } = await runToEnd(harness.engine, { labId: 'shared-memory', scenarioId: 'segment', stepId: 'segment', params: { holdMs: 600 } });
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    const creator = run.processes.find((p) => p.role === 'creator')!;
    const attacher = run.processes.find((p) => p.role === 'attacher')!;
    assert.notEqual(attacher.ppid, creator.pid, 'the attacher is not the creator\'s child');
    const path = stored.find((e): e is StoredEventOf<'object.create'> => e.kind === 'object.create')!.object.name;
    assert.match(path, new RegExp(`^/dev/shm/ipc-lab-${process.pid}-${run.runId}-board$`));
    const mapped = stored.filter((e): e is StoredEventOf<'kernel.snapshot'> => e.kind === 'kernel.snapshot' && !!e.maps?.some((m) => m.path === path && m.perms.endsWith('s')));
    assert.deepEqual(new Set(mapped.map((e) => e.role)), new Set(['creator', 'attacher']));
    assert.deepEqual(mySegments(), []);
    assertNothingLeft(run);
  });

  it('step bounded-buffer: the producer waits when full, the consumer when empty, nothing lost', async () => {
    const { run, stored } = await runToEnd(harness.engine, { labId: 'shared-memory', scenarioId: 'bounded', stepId: 'bounded-buffer' });
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    const levels = stored.filter((e): e is StoredEventOf<'buffer.level'> => e.kind === 'buffer.level');
    assert.ok(levels.every((l) => l.capacity === 4 && l.used >= 0 && l.used <= 4));
    assert.ok(levels.some((l) => l.used === 4) && levels.some((l) => l.used === 0));
    assert.deepEqual(mySegments(), []);
    assertNothingLeft(run);
  });

  it('step bounded-buffer fails its waiting checks when neither side ever waits', async () => {
    // A buffer bigger than all items, a producer that is always slower: the producer never finds it full.
    const { run } = await runToEnd(harness.engine, {
      labId: 'shared-memory',
      scenarioId: 'bounded',
      stepId: 'bounded-buffer',
      params: { slots: 64, items: 5, fastItems: 5, consumerDelayMs: 0 },
    });
    assert.equal(run.status, 'failed');
    assert.equal(checksOf(run)['producer-waits-when-full'], false);
    assert.equal(checksOf(run)['items-once-in-order'], true);
    assertNothingLeft(run);
  });

  it('step unbounded-buffer: the producer never waits', async () => {
    const { run } = await runToEnd(harness.engine, { labId: 'shared-memory', scenarioId: 'unbounded', stepId: 'unbounded-buffer' });
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    assertNothingLeft(run);
  });

  it('step race-condition: plain increments lose updates, the mutex and atomic add lose none', async () => {
    for (const protection of ['mutex', 'atomic']) {
      const { run, stored } = await runToEnd(harness.engine, { labId: 'shared-memory', scenarioId: 'race', stepId: 'race-condition', params: { protection } });
      assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
      assert.ok(measure(stored, 'plain: lost updates')! > 0);
      assert.equal(measure(stored, `${protection}: lost updates`), 0);
      assert.equal(measure(stored, `${protection}: counter`), measure(stored, 'expected'));
      assertNothingLeft(run);
    }
  });

  it('step race-condition: a worker killed holding the mutex is reported by the others, which do not hang', async () => {
    const { run, stored } = await runToEnd(harness.engine, { labId: 'shared-memory', scenarioId: 'race', stepId: 'race-condition', params: { protection: 'mutex', killHolder: true } });
    assert.equal(run.status, 'failed');
    const killed = run.processes.find((p) => p.role === 'worker' && p.signal === 'SIGKILL');
    assert.ok(killed, 'one worker was killed');
    const reports = stored.filter((e): e is StoredEventOf<'io.error'> => e.kind === 'io.error' && e.code === 'EOWNERDEAD');
    assert.ok(reports.length >= 1);
    assert.match(reports[0]!.message, new RegExp(`\\b${killed.pid}\\b`));
    assert.ok(measure(stored, 'mutex: lost updates')! > 0);
    assertNothingLeft(run);
  });

  it('step many-producers-consumers: every item consumed exactly once', async () => {
    const { run, stored } = await runToEnd(harness.engine, { labId: 'shared-memory', scenarioId: 'crowd', stepId: 'many-producers-consumers' });
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    const received = stored.filter((e) => e.kind === 'message.receive');
    assert.equal(received.length, 3 * 50);
    assertNothingLeft(run);
  });

  it('unlinks the run\'s segments when the run is stopped', async () => {
    const { run, stored } = await runToEnd(
      harness.engine,
      { labId: 'shared-memory', scenarioId: 'bounded', stepId: 'bounded-buffer', params: { items: 1000, fastItems: 1000, consumerDelayMs: 1000 } },
      async (runId) => {
        await waitForEvent(harness.engine, (e) => e.kind === 'io.begin' && e.op === 'wait' && e.role === 'producer');
        assert.equal(mySegments().length, 1);
        await harness.engine.call('runs.stop', { runId });
      },
    );
    assert.equal(run.status, 'stopped');
    assert.deepEqual(mySegments(), []);
    const cleanup = stored.find((e): e is StoredEventOf<'host.cleanup'> => e.kind === 'host.cleanup');
    assert.match(cleanup?.removed[0] ?? '', /-buffer$/);
    assertNothingLeft(run);
  });

  it('unlinks the segment when the process that created it is killed with SIGKILL', async () => {
    const { run } = await runToEnd(
      harness.engine,
      { labId: 'shared-memory', scenarioId: 'segment', stepId: 'segment', params: { holdMs: 3000 } },
      async () => {
        // The creator has made the segment, and the attacher has mapped it and replied.
        const replied = await waitForEvent(harness.engine, (e) => e.kind === 'note' && e.role === 'creator' && e.text.startsWith('read reply'));
        process.kill(replied.pid, 'SIGKILL');
      },
    );
    assert.equal(run.processes.find((p) => p.role === 'creator')?.signal, 'SIGKILL');
    assert.deepEqual(mySegments(), []);
    assertNothingLeft(run);
  });
});
