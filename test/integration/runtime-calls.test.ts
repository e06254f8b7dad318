/**
 * The runtime calls the labs' checks stand on: a snapshot taken when a program asks for it (so that
 * kernel-view evidence does not depend on when sampling runs), fork-like inheritance of descriptors,
 * the runtime's own descriptors marked as such, and no checks on a run that was stopped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StoredEventOf } from '../../main/contract/trace-events.js';
import { assertNothingLeft, FIXTURE_LABS, openHarness, runToEnd, waitForEvent, type Harness } from '../support/engine-harness.js';

let harness: Harness;
before(async () => {
  harness = await openHarness(FIXTURE_LABS);
});
after(async () => {
  await harness.close();
});

type Snapshot = StoredEventOf<'kernel.snapshot'>;

async function inheritRun(inheritAll: boolean) {
  const finished = await runToEnd(harness.engine, { labId: 'runtime-calls', scenarioId: 'inherit', params: { inheritAll } });
  const { stored } = finished;
  const notes = stored.filter((e): e is StoredEventOf<'note'> => e.kind === 'note');
  const [readFd, writeFd] = notes
    .find((n) => n.text.startsWith('ends '))!
    .text.slice(5)
    .split(' ')
    .map(Number) as [number, number];
  const request = stored.find((e): e is StoredEventOf<'snapshot.request'> => e.kind === 'snapshot.request');
  assert.ok(request, 'the heir asked for a snapshot');
  const requested = stored.filter((e): e is Snapshot => e.kind === 'kernel.snapshot' && e.requested !== undefined);
  const heirPid = request.pid;
  const heirSnapshot = requested.find((s) => s.pid === heirPid);
  const parentSnapshot = requested.find((s) => s.role === 'parent');
  assert.ok(heirSnapshot && parentSnapshot, 'both processes were sampled on request');
  const after = notes.find((n) => n.text === 'after the snapshot')!;
  for (const s of [heirSnapshot, parentSnapshot]) {
    assert.equal(s.requested, 'the heir holds what it was handed');
    assert.ok(BigInt(s.ts) > BigInt(request.ts) && BigInt(s.ts) < BigInt(after.ts), 'sampled after the request, before the program went on');
  }
  const pipe = stored.find((e): e is StoredEventOf<'object.create'> => e.kind === 'object.create')!.object.name;
  return { ...finished, readFd, writeFd, pipe, heirSnapshot, parentSnapshot };
}

describe('lab.snapshot() and inheritance', () => {
  it('a requested view shows every process of the run, also one whose process.start never came', async () => {
    const finished = await runToEnd(harness.engine, { labId: 'runtime-calls', scenarioId: 'silent-child' });
    const { stored } = finished;
    const note = stored.find((e): e is StoredEventOf<'note'> => e.kind === 'note' && e.text.startsWith('silent '));
    assert.ok(note, 'the watcher started its silent child');
    const silentPid = Number(note.text.slice('silent '.length));
    assert.ok(!stored.some((e) => e.kind === 'process.start' && e.pid === silentPid), 'the child never announced itself');
    const view = stored.find((e): e is Snapshot => e.kind === 'kernel.snapshot' && e.requested === 'with a silent child' && e.pid === silentPid);
    assert.ok(view, "the requested view holds the silent child, found by the run's process group");
    assert.equal(view.role, 'silent', 'named by the role in its environment');
    assert.match(view.state, /^S/, 'asleep in sleep(1)');
    assertNothingLeft(finished.run);
  });

  it('hands a child every descriptor at the same numbers with inherit: all, as fork() does', async () => {
    const { run, readFd, writeFd, pipe, heirSnapshot } = await inheritRun(true);
    const held = heirSnapshot.fds.filter((fd) => fd.target === pipe);
    assert.deepEqual(
      held.map((fd) => [fd.fd, fd.mode]),
      [
        [readFd, 'read'],
        [writeFd, 'write'],
      ],
      "the child holds both ends, at the parent's numbers, and the kernel says which end each is",
    );
    assertNothingLeft(run);
  });

  it('hands a child only the named descriptor otherwise', async () => {
    const { run, pipe, heirSnapshot } = await inheritRun(false);
    assert.deepEqual(
      heirSnapshot.fds.filter((fd) => fd.target === pipe).map((fd) => fd.fd),
      [3],
    );
    assertNothingLeft(run);
  });

  it("marks Node's own descriptors and the trace channel as the runtime's, never the lab's pipe", async () => {
    const { run, pipe, parentSnapshot } = await inheritRun(false);
    const labPipe = parentSnapshot.fds.filter((fd) => fd.target === pipe);
    assert.equal(labPipe.length, 2);
    assert.ok(
      labPipe.every((fd) => fd.runtime === undefined),
      'labPipe.every((fd) => fd.runtime === undefined)',
    );
    const otherPipes = parentSnapshot.fds.filter((fd) => fd.target.startsWith('pipe:[') && fd.target !== pipe);
    assert.ok(otherPipes.length > 0, "libuv's internal pipes are there");
    assert.ok(
      otherPipes.every((fd) => fd.runtime === "Node's event loop"),
      'otherPipes.every((fd) => fd.runtime === "Node\'s event loop")',
    );
    assert.ok(
      parentSnapshot.fds.some((fd) => fd.runtime === 'trace channel'),
      "parentSnapshot.fds.some((fd) => fd.runtime === 'trace channel')",
    );
    assert.ok(
      parentSnapshot.fds.filter((fd) => fd.target.startsWith('anon_inode:')).every((fd) => fd.runtime !== undefined),
      "parentSnapshot.fds.filter((fd) => fd.target.startsWith('anon_inode:')).every((fd) => fd.runtime !...",
    );
    assert.ok(parentSnapshot.io && parentSnapshot.io.wchar > 0, 'the trace channel was written through write()');
    assert.ok(parentSnapshot.switches && parentSnapshot.cpu, 'parentSnapshot.switches && parentSnapshot.cpu');
    assertNothingLeft(run);
  });
});

describe('checks of a cut run', () => {
  it('does not run the checks of a stopped run', async () => {
    const { run } = await runToEnd(harness.engine, { labId: 'runtime-calls', stepId: 'hold', scenarioId: 'hold' }, async (runId) => {
      await waitForEvent(harness.engine, (e) => e.kind === 'note' && e.text === 'holding');
      await harness.engine.call('runs.stop', { runId });
    });
    assert.equal(run.status, 'stopped');
    assert.deepEqual(run.checks, []);
    assertNothingLeft(run);
  });
});
