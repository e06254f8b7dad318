/**
 * "Shared memory or message passing?", the measured steps, on real processes, a real shared segment,
 * real pipes and real POSIX message queues: each step's check passes on a correct run and fails on the
 * variant that carries the "ring" link through pipes; the figures come from the trace and the kernel's
 * counters; no segment or queue is left.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { RunSummary } from '../../main/contract/lab-model.js';
import type { StoredEvent } from '../../main/contract/trace-events.js';
import { memoryTrace } from '../../main/engine/check-kit.js';
import { native } from '../../main/native/index.js';
import checks from '../../labs/07-shared-memory-or-message-passing/checks.js';
import { assertNothingLeft, checksOf, openHarness, runToEnd, traceOf, type FinishedRun, type Harness } from '../support/engine-harness.js';

const LAB = 'shared-memory-or-message-passing';
const MiB = 1024 * 1024;

let harness: Harness;
before(async () => {
  harness = await openHarness();
});
after(async () => {
  await harness.close();
});

function measuredValue(run: Pick<RunSummary, 'checks'>, id: string, unit: string): number {
  const m = run.checks.flatMap((c) => c.measurements ?? []).find((x) => x.id === id);
  assert.ok(m, `the run measured ${id}`);
  assert.equal(m.unit, unit, `${id} is in ${unit}`);
  return m.value;
}

/** The run's segments and queues still there (named /ipc-lab-<this engine's pid>-<run>-...). */
function objectsLeft(run: RunSummary): string[] {
  const prefix = `ipc-lab-${process.pid}-${run.runId}-`;
  const shm = readdirSync('/dev/shm').filter((name) => name.startsWith(prefix));
  const queues = ['mq-ping', 'mq-pong'].filter((name) => {
    try {
      native().mqClose(native().mqOpen(`/${prefix}${name}`, { create: false }));
      return true;
    } catch {
      return false;
    }
  });
  return [...shm, ...queues];
}

function assertClean(finished: FinishedRun): void {
  assert.deepEqual(objectsLeft(finished.run), [], 'segments or queues left behind');
  assertNothingLeft(finished.run);
}

/** The check's outcome over the stored trace, with what the stored result leaves out (the charts). */
function outcomeOf(finished: FinishedRun, id: keyof typeof checks) {
  return checks[id].check(memoryTrace(traceOf(finished)));
}

describe('shared memory or message passing: the measured steps', () => {
  it('step same-job: every byte through each mechanism, timed from the trace; the ratios are reported, no winner required', async () => {
    const finished = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'same-job', stepId: 'same-job', params: { payloadMiB: 16, roundTrips: 200 } });
    const { run } = finished;
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    // From TypeScript and from C loops on the same objects, side by side from the same run.
    for (const m of ['ring', 'pipe', 'mq'])
      for (const language of ['', '-c']) {
        assert.ok(measuredValue(run, `${m}-throughput${language}`, 'MB/s') > 0, `${m}${language} throughput`);
        assert.ok(measuredValue(run, `${m}-round-trip${language}`, 'µs') > 0, `${m}${language} round trip`);
      }
    assert.ok(measuredValue(run, 'ring-to-pipe-throughput-c', 'times') > 0, 'a C throughput ratio');
    // Each C loop is one traced call, not one per chunk.
    const loops = finished.stored.filter((e) => e.kind === 'io.end' && e.channel.endsWith(', C loop'));
    assert.equal(loops.length, 3 * 4, 'per mechanism: the bulk send and receive, the ping and pong loops');
    const ratio = measuredValue(run, 'ring-to-pipe-throughput', 'times');
    const expected = measuredValue(run, 'ring-throughput', 'MB/s') / measuredValue(run, 'pipe-throughput', 'MB/s');
    assert.ok(Math.abs(ratio - expected) < 0.01 + expected * 0.01, `ratio ${ratio} is ring/pipe ${expected}`);
    assert.ok(measuredValue(run, 'pipe-to-ring-round-trip', 'times') > 0, 'a round-trip ratio');
    assert.match(run.checks[0]!.detail, /the pipe's reader's rchar grew by 16 MiB|rchar grew by 16,777,2\d\d bytes/);
    assertClean(finished);
  });

  it('step same-job, variant: with the "ring" carried by pipes its reader gains the payload in rchar, and the check fails', async () => {
    const finished = await runToEnd(harness.engine, {
      labId: LAB,
      scenarioId: 'same-job',
      stepId: 'same-job',
      params: { payloadMiB: 8, roundTrips: 50, ringCarrier: 'pipe' },
    });
    assert.equal(finished.run.status, 'failed');
    assert.deepEqual(checksOf(finished.run), { 'same-job-measured': false });
    assert.match(finished.run.checks[0]!.detail, /"ring" link's reader gained 8 MiB|"ring" link's reader gained 8,388,6\d\d bytes/);
    assert.match(finished.run.checks[0]!.hint, /carried by pipes/);
    assertClean(finished);
  });

  it('step kernel-involvement: the pipe reader gains the payload in rchar, the ring and queue readers next to nothing; the control fails', async () => {
    const finished = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'same-job', stepId: 'kernel-involvement' });
    const { run } = finished;
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    assert.ok(measuredValue(run, 'pipe-reader-rchar', 'bytes') >= 64 * MiB, 'the pipe reader read() every byte');
    assert.ok(measuredValue(run, 'pipe-reader-rchar', 'bytes') < 64 * MiB + 4096, 'the lab adds only its snapshot answers');
    assert.ok(measuredValue(run, 'ring-reader-rchar', 'bytes') < 4096, 'the ring reader read() next to nothing');
    // mq_receive is not a read(2): the kernel copies each message, yet rchar does not count it (proc(5)).
    assert.ok(measuredValue(run, 'mq-reader-rchar', 'bytes') < 4096, 'mq_receive is not counted in rchar');
    // Every receiver waited somewhere (an empty buffer): the kernel counts those sleeps.
    for (const m of ['pipe', 'ring', 'mq']) assert.ok(measuredValue(run, `${m}-reader-switches`, 'switches') >= 1, `${m} reader switched`);
    assertClean(finished);

    const control = await runToEnd(harness.engine, {
      labId: LAB,
      scenarioId: 'same-job',
      stepId: 'kernel-involvement',
      params: { payloadMiB: 8, ringCarrier: 'pipe' },
    });
    assert.equal(control.run.status, 'failed');
    assert.deepEqual(checksOf(control.run), { 'kernel-carries-messages': false });
    assert.ok(measuredValue(control.run, 'ring-reader-rchar', 'bytes') >= 8 * MiB, 'the piped "ring" reader read() every byte');
    assertClean(control);
  });

  it('a check over a trace without the evidence fails: a receiver that never counted, or snapshots without counters', async () => {
    const finished = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'same-job', stepId: 'same-job', params: { payloadMiB: 4, roundTrips: 20 } });
    assert.equal(finished.run.status, 'passed', JSON.stringify(finished.run.checks, null, 2));
    const without = (drop: (e: StoredEvent) => boolean) => memoryTrace({ ...traceOf(finished), events: finished.stored.filter((e) => !drop(e)) });
    const noCount = without((e) => e.kind === 'measure' && e.role === 'ring-receiver');
    assert.equal(checks['same-job-measured'].check(noCount).passed, false);
    assert.match(checks['same-job-measured'].check(noCount).detail, /ring-receiver did not finish/);
    const noSnapshots = without((e) => e.kind === 'kernel.snapshot' && e.role === 'pipe-receiver');
    assert.equal(checks['kernel-carries-messages'].check(noSnapshots).passed, false);
    const fewerTrips = without((e) => e.kind === 'io.begin' && e.role === 'sender' && e.channel === 'pipe ping' && e.op === 'write' && Number(e.seq) % 7 === 0);
    assert.equal(checks['same-job-measured'].check(fewerTrips).passed, false);
    assertClean(finished);
  });

  it('step where-each-wins with the smallest message larger than the largest: a clear error naming both, nothing left', async () => {
    const finished = await runToEnd(harness.engine, {
      labId: LAB,
      scenarioId: 'sweep',
      stepId: 'where-each-wins',
      params: { smallestBytes: 4096, largestBytes: 64 },
    });
    assert.equal(finished.run.status, 'failed');
    assert.match(finished.run.checks[0]!.detail, /smallest message \(4096 bytes\) is larger than the largest \(64 bytes\)/);
    assert.match(finished.run.checks[0]!.hint, /Make Smallest message at most Largest message/);
    // The programs refuse the sizes with the same sentence on stderr, and no stack trace: it is the student's choice, not a bug.
    const output = finished.stored.flatMap((e) => (e.kind === 'host.output' ? [e.text] : [])).join('\n');
    assert.match(output, /smallest message \(4096 bytes\) is larger than the largest \(64 bytes\)/);
    assert.doesNotMatch(output, /^\s+at /m);
    assertClean(finished);
  });

  it('step where-each-wins: a curve per mechanism over the sizes, the queue stopping at EMSGSIZE past msgsize_max; the variant fails', async () => {
    const finished = await runToEnd(harness.engine, {
      labId: LAB,
      scenarioId: 'sweep',
      stepId: 'where-each-wins',
      params: { bulkKiBPerSize: 1024, maxRoundTripsPerSize: 50 },
    });
    const { run } = finished;
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    assert.equal(measuredValue(run, 'mq-refused-size', 'bytes'), 16384);
    assert.equal(measuredValue(run, 'mq-largest-message', 'bytes'), 4096);
    assert.ok(
      finished.stored.some((e) => e.kind === 'io.error' && e.code === 'EMSGSIZE' && e.role === 'sender'),
      'the sender shows the kernel refusing 16 KiB with EMSGSIZE',
    );
    const outcome = outcomeOf(finished, 'where-each-wins');
    const sizes = [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576];
    for (const chart of ['throughput', 'round-trip'] as const) {
      const series = outcome.charts?.[chart];
      assert.ok(series, `chart ${chart}`);
      assert.deepEqual(
        series.map((s) => [s.name, s.points.map((p) => p.x)]),
        ['TypeScript', 'C'].flatMap((language) => [
          [`shared ring, ${language}`, sizes],
          [`pipe, ${language}`, sizes],
          [`message queue, ${language}`, sizes.slice(0, 4)],
        ]),
      );
      assert.ok(
        series.every((s) => s.points.every((p) => p.y > 0)),
        'every point is a positive figure',
      );
    }
    assert.match(run.checks[0]!.detail, /found on this machine in this run: TypeScript, throughput (none|between).*; C, throughput (none|between)/);
    assert.ok(measuredValue(run, 'ring-to-pipe-throughput-largest-c', 'times') > 0, 'a C ratio at 1 MiB');
    assertClean(finished);

    const variant = await runToEnd(harness.engine, {
      labId: LAB,
      scenarioId: 'sweep',
      stepId: 'where-each-wins',
      params: { bulkKiBPerSize: 256, maxRoundTripsPerSize: 10, ringCarrier: 'pipe' },
    });
    assert.equal(variant.run.status, 'failed');
    assert.deepEqual(checksOf(variant.run), { 'where-each-wins': false });
    assert.match(variant.run.checks[0]!.detail, /read\(2\) carried the sweep/);
    assertClean(variant);
  });
});
