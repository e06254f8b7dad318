/**
 * The shared-memory lab on real processes and real POSIX segments: every step's checks pass on a
 * correct run and fail on one that does not show the behaviour, and no segment is left in /dev/shm
 * after a normal end, a stop, or a SIGKILLed lab process.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { RunSummary } from '../../main/contract/lab-model.js';
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

/** Every value measured under `name`, in time order (the race step's plain round can run more than once). */
function measuresOf(events: StoredEvent[], name: string): number[] {
  return events
    .filter((e): e is StoredEventOf<'measure'> => e.kind === 'measure' && e.name === name)
    .sort((a, b) => (BigInt(a.ts) < BigInt(b.ts) ? -1 : 1))
    .map((e) => e.value);
}

/** What the run's checks measured, for grading answers: id → "value unit" (undefined when no check measured it). */
function measured(run: Pick<RunSummary, 'checks'>, id: string): string | undefined {
  const m = run.checks.flatMap((c) => c.measurements ?? []).find((x) => x.id === id);
  return m && `${m.value} ${m.unit}`;
}

function measuredValue(run: Pick<RunSummary, 'checks'>, id: string, unit: string): number {
  const m = run.checks.flatMap((c) => c.measurements ?? []).find((x) => x.id === id);
  assert.ok(m, `the run measured ${id}`);
  assert.equal(m.unit, unit, `${id} is in ${unit}`);
  return m.value;
}

describe('shared memory lab', () => {
  it('step segment: an unrelated process attaches the segment by name; the snapshot it asks for shows both mapping the same /dev/shm file shared', async () => {
    const { run, stored } = await runToEnd(harness.engine, { labId: 'shared-memory', scenarioId: 'segment', stepId: 'segment', params: { holdMs: 0 } });
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    const creator = run.processes.find((p) => p.role === 'creator')!;
    const attacher = run.processes.find((p) => p.role === 'attacher')!;
    assert.notEqual(attacher.ppid, creator.pid, "the attacher is not the creator's child");
    const path = stored.find((e): e is StoredEventOf<'object.create'> => e.kind === 'object.create')!.object.name;
    assert.match(path, new RegExp(`^/dev/shm/ipc-lab-${process.pid}-${run.runId}-board$`));
    // holdMs 0: neither holds the segment a moment longer than it must, so only the requested snapshot can show both.
    const requested = stored.filter((e): e is StoredEventOf<'kernel.snapshot'> => e.kind === 'kernel.snapshot' && e.requested !== undefined);
    const mapped = requested.filter((e) => e.maps?.some((m) => m.path === path && m.perms === 'rw-s'));
    assert.deepEqual(new Set(mapped.map((e) => e.role)), new Set(['creator', 'attacher']));
    assert.ok(
      run.checks.every((c) => typeof c.moment === 'string'),
      'every check names its moment',
    );
    // The measurements the step's questions are graded against: both mappings shared, one page each.
    assert.equal(measured(run, 'shared-mappings'), '2 processes');
    assert.equal(measured(run, 'bytes-mapped'), '4096 bytes');
    assert.deepEqual(mySegments(), []);
    assertNothingLeft(run);
  });

  it('step segment, attacher mapping MAP_PRIVATE: its reply never reaches the creator, and the kernel shows rw-p', async () => {
    const { run, stored } = await runToEnd(harness.engine, {
      labId: 'shared-memory',
      scenarioId: 'segment',
      stepId: 'segment',
      params: { holdMs: 0, mapping: 'private' },
    });
    assert.equal(run.status, 'failed');
    assert.deepEqual(checksOf(run), { 'seen-without-messages': false, 'same-segment-mapped': false });
    const attacher = stored.filter(
      (e): e is StoredEventOf<'kernel.snapshot'> => e.kind === 'kernel.snapshot' && e.role === 'attacher' && e.requested !== undefined,
    );
    assert.ok(
      attacher.some((e) => e.maps?.some((m) => m.perms === 'rw-p')),
      "attacher.some((e) => e.maps?.some((m) => m.perms === 'rw-p'))",
    );
    assert.match(run.checks.find((c) => c.id === 'same-segment-mapped')!.hint ?? '', /MAP_PRIVATE/);
    assert.equal(measured(run, 'shared-mappings'), '1 processes', "only the creator's mapping is shared");
    assert.equal(measured(run, 'bytes-mapped'), '4096 bytes');
    assert.deepEqual(mySegments(), []);
    assertNothingLeft(run);
  });

  it("step no-copy-through-kernel: through the segment the consumer's rchar barely moves; through a pipe it grows by every byte", async () => {
    const shm = await runToEnd(harness.engine, { labId: 'shared-memory', scenarioId: 'bulk', stepId: 'no-copy-through-kernel', params: { mib: 16 } });
    assert.equal(shm.run.status, 'passed', JSON.stringify(shm.run.checks, null, 2));
    const pipe = await runToEnd(harness.engine, {
      labId: 'shared-memory',
      scenarioId: 'bulk',
      stepId: 'no-copy-through-kernel',
      params: { mib: 16, through: 'pipe' },
    });
    assert.equal(pipe.run.status, 'failed');
    assert.equal(checksOf(pipe.run)['kernel-not-in-transfer'], false);
    assert.match(pipe.run.checks[0]!.detail, /rchar \(\/proc\/\d+\/io\) grew by 16 MiB|rchar \(\/proc\/\d+\/io\) grew by 167772\d\d bytes/);
    // rchar and syscr as the questions see them: a few bytes and calls (the lab's own) through the segment,
    // every byte in one read per 64 KiB piece (and the read of end of file) through the pipe.
    assert.ok(measuredValue(shm.run, 'rchar-growth', 'bytes') < 64 * 1024, measured(shm.run, 'rchar-growth'));
    assert.ok(measuredValue(shm.run, 'read-calls', 'calls') < 16, measured(shm.run, 'read-calls'));
    assert.ok(measuredValue(pipe.run, 'rchar-growth', 'bytes') >= 16 * 1024 * 1024, measured(pipe.run, 'rchar-growth'));
    assert.ok(measuredValue(pipe.run, 'read-calls', 'calls') >= 16 * 16 + 1, measured(pipe.run, 'read-calls'));
    assert.deepEqual(mySegments(), []);
    assertNothingLeft(shm.run);
    assertNothingLeft(pipe.run);
  });

  it('step bounded-buffer: the producer waits when full, the consumer when empty, nothing lost', async () => {
    const { run, stored } = await runToEnd(harness.engine, { labId: 'shared-memory', scenarioId: 'bounded', stepId: 'bounded-buffer' });
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    // The step randomises the buffer size per student: this data folder's pick is in the run's params.
    const slots = Number(run.params.slots);
    assert.ok([3, 4, 5, 6].includes(slots), `${slots} is one of the step's sizes`);
    const levels = stored.filter((e): e is StoredEventOf<'buffer.level'> => e.kind === 'buffer.level');
    assert.ok(
      levels.every((l) => l.capacity === slots && l.used >= 0 && l.used <= slots),
      'levels.every((l) => l.capacity === slots && l.used >= 0 && l.used <= slots)',
    );
    assert.ok(
      levels.some((l) => l.used === slots) && levels.some((l) => l.used === 0),
      'levels.some((l) => l.used === slots) && levels.some((l) => l.used === 0)',
    );
    // 10 fast items into the slots: at most the 10 − slots the buffer cannot hold wait; fewer when the
    // consumer took one early on a loaded machine, or a wait was over in under 1 ms (not counted). At
    // least one waited: the check passed.
    assert.ok(measuredValue(run, 'full-waits', 'waits') >= 1 && measuredValue(run, 'full-waits', 'waits') <= 10 - slots, measured(run, 'full-waits'));
    assert.equal(measured(run, 'peak-occupancy'), `${slots} items`);
    assert.ok(measuredValue(run, 'empty-waits', 'waits') > 0, measured(run, 'empty-waits'));
    assert.equal(measured(run, 'items-taken'), '20 items');
    assert.equal(measured(run, 'items-lost'), '0 items');
    assert.deepEqual(mySegments(), []);
    assertNothingLeft(run);
  });

  it('step bounded-buffer fails its waiting checks when neither side ever waits', async () => {
    // A buffer bigger than all items: the producer never finds it full.
    const { run } = await runToEnd(harness.engine, { labId: 'shared-memory', scenarioId: 'bounded', stepId: 'bounded-buffer', params: { slots: 64 } });
    assert.equal(run.status, 'failed');
    assert.equal(checksOf(run)['producer-waits-when-full'], false);
    assert.equal(checksOf(run)['items-once-in-order'], true);
    assert.equal(measured(run, 'full-waits'), '0 waits', 'no wait is a count too');
    assertNothingLeft(run);
  });

  it('step bounded-buffer, the producer not waiting for room: the put that would overwrite an unread item is refused (EOVERFLOW), and that item is lost', async () => {
    const { run, stored } = await runToEnd(harness.engine, {
      labId: 'shared-memory',
      scenarioId: 'bounded',
      stepId: 'bounded-buffer',
      params: { waitForRoom: false },
    });
    assert.equal(run.status, 'failed');
    assert.equal(checksOf(run)['items-once-in-order'], false);
    assert.ok(
      stored.some((e) => e.kind === 'io.error' && e.role === 'producer' && e.code === 'EOVERFLOW'),
      "stored.some((e) => e.kind === 'io.error' && e.role === 'producer' && e.code === 'EOVERFLOW')",
    );
    assert.match(run.checks.find((c) => c.id === 'items-once-in-order')!.hint, /EOVERFLOW/);
    assert.equal(measured(run, 'items-lost'), '1 items', 'the refused item; the producer stops there');
    assert.equal(measured(run, 'full-waits'), '0 waits');
    assert.deepEqual(mySegments(), []);
    assertNothingLeft(run);
  });

  it('step unbounded-buffer: the producer never waits; made bounded, it does', async () => {
    const { run, stored } = await runToEnd(harness.engine, { labId: 'shared-memory', scenarioId: 'unbounded', stepId: 'unbounded-buffer' });
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    assert.equal(measured(run, 'producer-waits'), '0 waits');
    const levels = stored.filter((e): e is StoredEventOf<'buffer.level'> => e.kind === 'buffer.level');
    assert.equal(measuredValue(run, 'peak-occupancy', 'items'), Math.max(...levels.map((l) => l.used)));
    assertNothingLeft(run);
    const bounded = await runToEnd(harness.engine, { labId: 'shared-memory', scenarioId: 'unbounded', stepId: 'unbounded-buffer', params: { bounded: true } });
    assert.equal(checksOf(bounded.run)['producer-never-waits'], false);
    assert.ok(measuredValue(bounded.run, 'producer-waits', 'waits') > 0, measured(bounded.run, 'producer-waits'));
    assertNothingLeft(bounded.run);
    const tooSmall = await runToEnd(harness.engine, { labId: 'shared-memory', scenarioId: 'unbounded', stepId: 'unbounded-buffer', params: { room: 4 } });
    assert.equal(checksOf(tooSmall.run)['items-once-in-order'], false);
    assertNothingLeft(tooSmall.run);
  });

  it('step race-condition: plain increments lose updates, the mutex and atomic add lose none; one process alone loses none', async () => {
    for (const protection of ['mutex', 'atomic']) {
      const { run, stored } = await runToEnd(harness.engine, { labId: 'shared-memory', scenarioId: 'race', stepId: 'race-condition', params: { protection } });
      assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
      // The plain round ran again only while it lost nothing: every try but the last lost none.
      const plainLost = measuresOf(stored, 'plain: lost updates');
      assert.ok(plainLost.length >= 1 && plainLost.length <= 3, `plain tries: ${plainLost.join(', ')}`);
      assert.deepEqual(
        plainLost.slice(0, -1),
        plainLost.slice(0, -1).map(() => 0),
      );
      assert.ok(plainLost.at(-1)! > 0, `plain tries: ${plainLost.join(', ')}`);
      assert.equal(measure(stored, `${protection}: lost updates`), 0);
      assert.equal(measure(stored, `${protection}: counter`), measure(stored, 'expected'));
      // What the questions are graded against: the lossy try's own lost updates, and none with protection.
      assert.equal(measuredValue(run, 'lost-updates', 'increments'), plainLost.at(-1));
      assert.equal(measuredValue(run, 'plain-counter', 'increments'), measuresOf(stored, 'plain: counter').at(-1));
      assert.equal(measured(run, 'protected-lost'), '0 increments');
      assert.equal(measured(run, 'protected-counter'), '2000000 increments');
      assertNothingLeft(run);
    }
    const alone = await runToEnd(harness.engine, { labId: 'shared-memory', scenarioId: 'race', stepId: 'race-condition', params: { workers: 1 } });
    assert.deepEqual(checksOf(alone.run), { 'race-loses-updates': false, 'protection-loses-none': true });
    assert.equal(measured(alone.run, 'lost-updates'), '0 increments');
    // Alone, no try can lose an update: the plain round ran all three times, and the check read all three.
    assert.deepEqual(measuresOf(alone.stored, 'plain: lost updates'), [0, 0, 0]);
    assert.match(alone.run.checks.find((c) => c.id === 'race-loses-updates')!.detail, /in any of the 3 tries/);
    assertNothingLeft(alone.run);
  });

  it('step holder-dies: the worker killed holding the mutex is reported by the kernel (EOWNERDEAD) to a survivor, which repairs and finishes; nothing that ran is lost', async () => {
    const { run, stored } = await runToEnd(harness.engine, { labId: 'shared-memory', scenarioId: 'race', stepId: 'holder-dies' });
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    const killed = run.processes.find((p) => p.role === 'worker' && p.signal === 'SIGKILL');
    assert.ok(killed, 'one worker was killed');
    const reports = stored.filter((e): e is StoredEventOf<'io.error'> => e.kind === 'io.error' && e.code === 'EOWNERDEAD');
    assert.equal(reports.length, 1, 'one survivor was told');
    assert.notEqual(reports[0]!.pid, killed.pid);
    assert.match(reports[0]!.message, new RegExp(`\\b${killed.pid}\\b`));
    assert.equal(run.processes.find((p) => p.pid === reports[0]!.pid)?.exitCode, 0);
    assert.equal(measure(stored, 'mutex: lost updates'), 0, 'the increments the killed worker never made are not counted as lost');
    assert.ok(
      measure(stored, 'mutex: increments run')! < measure(stored, 'expected')!,
      "measure(stored, 'mutex: increments run')! < measure(stored, 'expected')!",
    );
    // The killed worker ran half of its 100,000, the survivor all of its own: 150,000, none lost, one EOWNERDEAD.
    assert.equal(measured(run, 'protected-counter'), '150000 increments');
    assert.equal(measured(run, 'protected-lost'), '0 increments');
    assert.equal(measured(run, 'owner-dead-reports'), '1 calls');
    assertNothingLeft(run);
  });

  it('step holder-dies with a mutex that is not robust: the survivor times out (ETIMEDOUT), and the check says so', async () => {
    const { run, stored } = await runToEnd(harness.engine, { labId: 'shared-memory', scenarioId: 'race', stepId: 'holder-dies', params: { robust: false } });
    assert.equal(checksOf(run)['owner-died-recovered'], false);
    assert.ok(
      stored.some((e) => e.kind === 'io.error' && e.code === 'ETIMEDOUT'),
      "stored.some((e) => e.kind === 'io.error' && e.code === 'ETIMEDOUT')",
    );
    assert.ok(!stored.some((e) => e.kind === 'io.error' && e.code === 'EOWNERDEAD'), "!stored.some((e) => e.kind === 'io.error' && e.code === 'EOWNERDEAD')");
    assert.match(run.checks.find((c) => c.id === 'owner-died-recovered')!.hint ?? '', /not robust/);
    assert.equal(measured(run, 'owner-dead-reports'), '0 calls');
    assertNothingLeft(run);
  });

  it('step many-producers-consumers: every item consumed exactly once', async () => {
    const { run, stored } = await runToEnd(harness.engine, { labId: 'shared-memory', scenarioId: 'crowd', stepId: 'many-producers-consumers' });
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    const received = stored.filter((e) => e.kind === 'message.receive');
    assert.equal(received.length, 3 * 50);
    assert.equal(measured(run, 'items-consumed'), '150 items');
    assert.equal(measured(run, 'never-consumed'), '0 items');
    assert.equal(measured(run, 'consumed-twice'), '0 items');
    assertNothingLeft(run);
    // Producers that do not wait for room have puts refused: those items are never consumed.
    const refused = await runToEnd(harness.engine, {
      labId: 'shared-memory',
      scenarioId: 'crowd',
      stepId: 'many-producers-consumers',
      params: { waitForRoom: false },
    });
    assert.equal(checksOf(refused.run)['exactly-once'], false);
    assert.ok(measuredValue(refused.run, 'never-consumed', 'items') > 0, measured(refused.run, 'never-consumed'));
    assert.ok(
      refused.stored.some((e) => e.kind === 'io.error' && e.code === 'EOVERFLOW'),
      "refused.stored.some((e) => e.kind === 'io.error' && e.code === 'EOVERFLOW')",
    );
    assertNothingLeft(refused.run);
  });

  it('step many-producers-consumers, consumers without their mutex: items taken twice, listed by number; every item still put once', async () => {
    const { run, stored } = await runToEnd(harness.engine, {
      labId: 'shared-memory',
      scenarioId: 'crowd',
      stepId: 'many-producers-consumers',
      params: { consumerMutex: false },
    });
    assert.equal(run.status, 'failed', 'a variant run fails its checks');
    assert.equal(checksOf(run)['exactly-once'], false);
    assert.equal(checksOf(run)['producers-and-consumers-all-worked'], true);
    // From the trace itself: some item id was received by more than one consumer event.
    const taken = new Map<number, number>();
    for (const e of stored) if (e.kind === 'message.receive' && e.role === 'consumer') taken.set(e.messageId, (taken.get(e.messageId) ?? 0) + 1);
    const twice = [...taken].filter(([, n]) => n > 1).map(([id]) => id);
    assert.ok(twice.length > 0, 'some item was taken twice');
    assert.equal(measuredValue(run, 'consumed-twice', 'items'), twice.length);
    const detail = run.checks.find((c) => c.id === 'exactly-once')!.detail;
    assert.ok(detail.includes(`#${Math.min(...twice)}`), `the check names the first item taken twice: ${detail}`);
    assert.equal(stored.filter((e) => e.kind === 'message.send').length, 150, 'the producers kept their mutex: every item put once');
    assertNothingLeft(run);
  });

  it("unlinks the run's segments when the run is stopped", async () => {
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
    const { run } = await runToEnd(harness.engine, { labId: 'shared-memory', scenarioId: 'segment', stepId: 'segment', params: { holdMs: 3000 } }, async () => {
      // The creator has made the segment, and the attacher has mapped it and replied.
      const replied = await waitForEvent(harness.engine, (e) => e.kind === 'note' && e.role === 'creator' && e.text.startsWith('read reply'));
      process.kill(replied.pid, 'SIGKILL');
    });
    assert.equal(run.processes.find((p) => p.role === 'creator')?.signal, 'SIGKILL');
    assert.deepEqual(mySegments(), []);
    assertNothingLeft(run);
  });
});
