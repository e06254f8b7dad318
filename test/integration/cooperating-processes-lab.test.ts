/**
 * The cooperating-processes lab on real processes and real pipes: every step's checks pass on a
 * correct run, the variants fail as they declare, and nothing is left behind.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StoredEvent, StoredEventOf } from '../../main/contract/trace-events.js';
import type { ParamValues } from '../../main/contract/lab-model.js';
import { memoryTrace } from '../../main/engine/check-kit.js';
import { findProjectRoot } from '../../main/project-root.js';
import labChecks, { FREE_BELOW_CORES, SPEED_UP_AT_TWO, primesBelow } from '../../labs/00-cooperating-processes/checks.js';
import { assertNothingLeft, checksOf, openHarness, runToEnd, traceOf, type Harness } from '../support/engine-harness.js';

let harness: Harness;
before(async () => {
  harness = await openHarness();
});
after(async () => {
  await harness.close();
});

const LAB = 'cooperating-processes';

/** The launcher's record of A's output in each round, by round tag (indep-1 ... coop-3). */
function outputsOfA(stored: readonly { kind: string }[]): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const e of stored as StoredEventOf<'message.receive'>[])
    if (e.kind === 'message.receive' && e.role === 'launcher' && e.channel.endsWith(": A's output")) outputs[e.channel.split(':')[0]!] = e.text ?? '';
  return outputs;
}

const sumUpTo = (n: number): number => (n * (n + 1)) / 2;
const pairInputs = (params: ParamValues): { a: number; b: number; change: number } => ({
  a: Number(params.aInput),
  b: Number(params.bInput),
  change: Number(params.bChange),
});

describe('cooperating processes lab', () => {
  it('step independent-or-cooperating: the independent pair shares nothing, the cooperating pair one pipe', async () => {
    const { run, stored } = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'pair', stepId: 'independent-or-cooperating' });
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    assert.deepEqual(checksOf(run), { 'independent-share-nothing': true, 'cooperating-share-one': true });
    // A alone: 1+..+aInput (55 for 10); cooperating, A adds B's 1+..+bInput, then 1+..+(bInput+bChange)
    // (bInput is the one this student was given: 20, 30 or 40); killed, B adds nothing.
    const { a, b, change } = pairInputs(run.params);
    assert.deepEqual(outputsOfA(stored), {
      'indep-1': String(sumUpTo(a)),
      'indep-2': String(sumUpTo(a)),
      'indep-3': String(sumUpTo(a)),
      'coop-1': String(sumUpTo(a) + sumUpTo(b)),
      'coop-2': String(sumUpTo(a) + sumUpTo(b + change)),
      'coop-3': `${sumUpTo(a)} (nothing from B: end of file)`,
    });
    const killed = run.processes.find((p) => p.role === 'coop-3-b')!;
    assert.equal(killed.signal, 'SIGKILL');
    // The pipe both held in the first cooperating round is one the launcher created (lab.pipe).
    const link = stored.find((e): e is StoredEventOf<'object.create'> => e.kind === 'object.create' && e.channel === 'coop-1: B → A')!;
    const snapshotOf = (role: string): StoredEventOf<'kernel.snapshot'> =>
      stored.find((e): e is StoredEventOf<'kernel.snapshot'> => e.kind === 'kernel.snapshot' && e.role === role && e.requested !== undefined)!;
    for (const role of ['coop-1-a', 'coop-1-b'])
      assert.ok(
        snapshotOf(role).fds.some((fd) => fd.target === link.object.name),
        `${role} holds ${link.object.name}`,
      );
    assertNothingLeft(run);
  });

  it('step independent-or-cooperating: a "cooperating" pair never connected fails the cooperating check', async () => {
    const { run } = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'pair', stepId: 'independent-or-cooperating', params: { cooperate: false } });
    assert.equal(run.status, 'failed');
    assert.deepEqual(checksOf(run), { 'independent-share-nothing': true, 'cooperating-share-one': false });
    assert.match(run.checks.find((c) => c.id === 'cooperating-share-one')!.detail, /no pipe held by both A/);
    assertNothingLeft(run);
  });

  it('step independent-or-cooperating: an "independent" pair connected by a pipe fails the independent check', async () => {
    const { run, stored } = await runToEnd(harness.engine, {
      labId: LAB,
      scenarioId: 'pair',
      stepId: 'independent-or-cooperating',
      params: { independentShare: true },
    });
    assert.equal(run.status, 'failed');
    assert.deepEqual(checksOf(run), { 'independent-share-nothing': false, 'cooperating-share-one': true });
    assert.match(run.checks.find((c) => c.id === 'independent-share-nothing')!.detail, /both held pipe:\[\d+\]: they were connected/);
    const { a, b, change } = pairInputs(run.params);
    assert.equal(outputsOfA(stored)['indep-2'], String(sumUpTo(a) + sumUpTo(b + change)));
    assertNothingLeft(run);
  });

  it("step speed-up: k workers count the primes at once; the kernel view gives each its CPU time, /proc/stat the machine's", async () => {
    const finished = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'speed-up', stepId: 'speed-up' });
    const { run, stored } = finished;
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    const workers = run.processes.filter((p) => /^k\d+-worker-\d+$/.test(p.role));
    assert.equal(workers.length, 1 + 2 + 4 + 8);
    assert.ok(
      workers.every((w) => w.exitCode === 0),
      'every worker exited 0',
    );
    const coordinator = run.processes.find((p) => p.role === 'coordinator')!;
    assert.ok(
      workers.every((w) => w.ppid === coordinator.pid),
      "every worker is the coordinator's child",
    );
    // Each worker's CPU time comes from two snapshots it asked for, before and after its counting.
    for (const w of workers) {
      const own = stored.filter((e): e is StoredEventOf<'kernel.snapshot'> => e.kind === 'kernel.snapshot' && e.pid === w.pid && e.requested !== undefined);
      const [ready, done] = [own.find((s) => s.requested!.endsWith(': ready')), own.find((s) => s.requested!.endsWith(': done'))];
      assert.ok(ready?.cpu && done?.cpu, `${w.role}: snapshots with CPU time before and after counting`);
      assert.ok(done.cpu.userMs + done.cpu.systemMs >= ready.cpu.userMs + ready.cpu.systemMs, `${w.role}: CPU time never goes back`);
    }
    // The curve is drawn from what the run measured: one point per k, 1 at k = 1.
    const outcome = labChecks['speed-up'].check(memoryTrace(traceOf(finished)));
    assert.deepEqual(
      outcome.charts!['speed-up']![0]!.points.map((p) => p.x),
      [1, 2, 4, 8],
    );
    assert.equal(outcome.charts!['speed-up']![0]!.points[0]!.y, 1);
    assert.ok(
      outcome.charts!.parallelism![0]!.points.every((p) => p.y > 0 && p.y <= availableParallelism() + 0.5),
      'the workers got some CPU at every k, and never much more than the cores',
    );
    const measured = run.checks.find((c) => c.id === 'speed-up')!.measurements!.map((m) => m.id);
    assert.deepEqual(measured.sort(), ['speed-up-k2', 'speed-up-k4', 'speed-up-k8', 'wall-k1-s']);
    // Busy or free, the check says which, from /proc/stat.
    assert.match(run.checks[0]!.detail, /The machine was busy: other processes kept|ran on two cores at once/);
    assertNothingLeft(run);

    // The same run with the machine's counters edited to say that nothing else ran: the check no longer
    // excuses a small speed-up, and asks for what a free machine gives.
    const freed = freeMachine(stored);
    const strict = labChecks['speed-up'].check(memoryTrace({ ...traceOf(finished), events: freed }));
    const speedUp2 = outcome.measurements!['speed-up-k2']!;
    if (/seem to be held to fewer cores/.test(strict.detail)) {
      // A core sat idle (/proc/stat, not edited) while both workers wanted one: a quota, not a failure.
      assert.equal(strict.passed, true, strict.detail);
    } else if (/each core ran slower/.test(strict.detail)) {
      // Both cores in use, and the same counting cost the two workers more CPU time than one: the
      // kernel's own account explains the small speed-up (two hardware threads of a core, a VM's host).
      assert.equal(strict.passed, true, strict.detail);
      assert.ok(speedUp2 < SPEED_UP_AT_TWO, strict.detail);
    } else {
      assert.equal(strict.passed, speedUp2 >= SPEED_UP_AT_TWO && !/got only/.test(strict.detail), strict.detail);
      if (!strict.passed) assert.match(strict.detail, /while the machine was free|faster than one on a free machine/);
    }
  });

  it('step speed-up: workers that run one after another fail, whatever the load', async () => {
    const { run } = await runToEnd(harness.engine, {
      labId: LAB,
      scenarioId: 'speed-up',
      stepId: 'speed-up',
      params: { oneAtATime: true, maxWorkers: 2, primesBelow: 2_000_000 },
    });
    assert.equal(run.status, 'failed');
    assert.match(run.checks[0]!.detail, /The workers ran one after another: at k=2, k2-worker-2 began counting [\d.]+ s after k2-worker-1 had finished/);
    assertNothingLeft(run);
  });
  for (const middle of ['grep', 'grep -v', 'tr a-z A-Z']) {
    it(`step pipeline: ls | ${middle} | wc -l, each stage's fd 1 the next one's fd 0`, async () => {
      const { run, stored } = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'pipeline', stepId: 'pipeline', params: { middle } });
      assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
      assert.deepEqual(checksOf(run), { 'stages-connected': true, 'eof-ends-pipeline': true });
      const pipes = stored.filter((e): e is StoredEventOf<'object.create'> => e.kind === 'object.create' && e.role === 'shell').map((e) => e.object.name);
      const own = (role: string): StoredEventOf<'kernel.snapshot'> =>
        stored.find((e): e is StoredEventOf<'kernel.snapshot'> => e.kind === 'kernel.snapshot' && e.role === role && e.requested !== undefined)!;
      const at = (role: string, fd: number): string | undefined => own(role).fds.find((d) => d.fd === fd)?.target;
      assert.deepEqual([at('ls', 1), at('middle', 0), at('middle', 1), at('wc', 0)], [pipes[0], pipes[0], pipes[1], pipes[1]]);
      // wc counted what the middle stage let through of the real directory listing.
      const names = readdirSync(join(findProjectRoot(), 'dist', 'labs', '00-cooperating-processes', 'programs'));
      const kept = middle === 'grep' ? names.filter((n) => n.includes('worker')) : middle === 'grep -v' ? names.filter((n) => !n.includes('worker')) : names;
      assert.ok(
        stored.some((e) => e.kind === 'note' && e.role === 'wc' && e.text === `wc -l: ${kept.length} lines`),
        `wc counted ${kept.length} lines`,
      );
      assert.ok(
        stored.some((e) => e.kind === 'host.output' && e.text === String(kept.length)),
        'wc printed the count on its standard output',
      );
      assertNothingLeft(run);
    });
  }

  it('step pipeline: a shell that keeps its pipe ends leaves grep and wc waiting for end of file', async () => {
    const { run } = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'pipeline', stepId: 'pipeline', params: { shellKeepsEnds: true } });
    assert.equal(run.status, 'failed');
    assert.deepEqual(checksOf(run), { 'stages-connected': false, 'eof-ends-pipeline': false });
    assert.match(run.checks.find((c) => c.id === 'stages-connected')!.detail, /But the shell still held pipe:\[\d+\] at descriptor \d+ \(read\)/);
    assert.match(run.checks.find((c) => c.id === 'eof-ends-pipeline')!.detail, /grep never saw end of file on ls \| grep/);
    assert.equal(run.processes.find((p) => p.role === 'wc')!.signal, 'SIGTERM');
    assertNothingLeft(run);
  });
  it('step prime-sieve: one process per prime, each holding exactly its two pipe ends, ended by end of file', async () => {
    const { run, stored } = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'sieve', stepId: 'prime-sieve' });
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    assert.deepEqual(checksOf(run), { 'stage-holds-two-ends': true, 'sieve-found-primes': true });
    const stages = run.processes.filter((p) => p.role.startsWith('stage-'));
    assert.equal(stages.length, primesBelow(50).length);
    assert.equal(primesBelow(50).length, 15);
    // Each stage is its predecessor's child: processes made on demand, a chain.
    for (const [i, stage] of stages.entries()) {
      const parent = i === 0 ? run.processes.find((p) => p.role === 'generator')! : run.processes.find((p) => p.role === `stage-${i}`)!;
      assert.equal(stage.ppid, parent.pid, `${stage.role} is ${parent.role}'s child`);
    }
    // Stage 2 with its neighbour: Node's own pipes are marked, and the lab's are the two ends.
    const view = stored.find(
      (e): e is StoredEventOf<'kernel.snapshot'> => e.kind === 'kernel.snapshot' && e.role === 'stage-2' && e.requested === 'stage 2: with its neighbour',
    )!;
    const pipes = view.fds.filter((fd) => fd.target.startsWith('pipe:['));
    assert.ok(
      pipes.some((fd) => fd.runtime === "Node's event loop"),
      "Node's own pipes are there, marked",
    );
    assert.deepEqual(
      pipes.filter((fd) => fd.runtime === undefined).map((fd) => fd.mode),
      ['read', 'write'],
    );
    assert.equal(run.checks.find((c) => c.id === 'sieve-found-primes')!.measurements![0]!.value, 15);
    assertNothingLeft(run);
  });

  it("step prime-sieve: stages that keep their input's write end never see end of file, and the sieve is ended", async () => {
    const { run } = await runToEnd(harness.engine, {
      labId: LAB,
      scenarioId: 'sieve',
      stepId: 'prime-sieve',
      params: { closeInheritedWriteEnd: false, primesBelow: 20 },
    });
    assert.equal(run.status, 'failed');
    assert.deepEqual(checksOf(run), { 'stage-holds-two-ends': false, 'sieve-found-primes': false });
    assert.match(run.checks.find((c) => c.id === 'stage-holds-two-ends')!.detail, /Descriptor \d+ is the write end of its own input pipe/);
    assert.match(run.checks.find((c) => c.id === 'sieve-found-primes')!.detail, /stage-1 never saw end of file on its input/);
    assertNothingLeft(run);
  });
});

/**
 * The events with each k's /proc/stat "after" busy time set to "before" plus the workers' CPU time: a
 * machine on which no other process ran (for the check's logic on a machine that is never quiet).
 */
function freeMachine(stored: readonly StoredEvent[]): StoredEvent[] {
  const cpuOf = (s: StoredEventOf<'kernel.snapshot'>): number => s.cpu!.userMs + s.cpu!.systemMs;
  const snapshots = stored.filter((e): e is StoredEventOf<'kernel.snapshot'> => e.kind === 'kernel.snapshot' && e.requested !== undefined);
  const workersCpu = (k: number): number => {
    let sum = 0;
    for (let i = 1; i <= k; i++) {
      const of = (when: string): StoredEventOf<'kernel.snapshot'> => snapshots.find((s) => s.requested === `k=${k} worker ${i}: ${when}`)!;
      sum += cpuOf(of('done')) - cpuOf(of('ready'));
    }
    return sum;
  };
  const before = new Map<number, number>();
  return stored.map((e) => {
    if (e.kind !== 'measure' || e.name !== 'machine-busy-ms') return e;
    const [, k, when] = /^k=(\d+) (before|after):/.exec(e.detail ?? '')!;
    if (when === 'before') {
      before.set(Number(k), e.value);
      return e;
    }
    return { ...e, value: before.get(Number(k))! + workersCpu(Number(k)) + FREE_BELOW_CORES / 10 };
  });
}
