/**
 * The speed-comparison steps show two figures side by side from one run: the TypeScript program's and
 * the same system calls in a C loop (main/runtime/native-loops.ts, main/native/measure-loops.c).
 * - sockets unix-vs-tcp: the same round trips and stream again in C on new connections to the same two
 *   sockets, after every TypeScript batch.
 * - rpc cost: the trip alone in C (12 bytes each way), beside the raw socket and the RPC in Node.
 * Each loop is one io.begin / io.end pair in the client's lane (not one event per call); the check's
 * measurement of the C round trip is that interval over the round trips asked for, and its detail
 * quotes both, naming no winner.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunSummary } from '../../main/contract/lab-model.js';
import type { StoredEvent, StoredEventOf } from '../../main/contract/trace-events.js';
import { openHarness, runToEnd, assertNothingLeft, type Harness } from '../support/engine-harness.js';

let harness: Harness;
before(async () => {
  harness = await openHarness();
});
after(async () => {
  await harness.close();
});

const ofKind = <K extends StoredEvent['kind']>(events: StoredEvent[], kind: K): StoredEventOf<K>[] =>
  events.filter((e) => e.kind === kind) as StoredEventOf<K>[];
const measured = (run: RunSummary, id: string) => run.checks.flatMap((c) => c.measurements ?? []).find((m) => m.id === id);

describe('native loops beside the TypeScript programs', () => {
  it('step unix-vs-tcp: a C ping-pong and a C stream per transport, each one io pair, measured and quoted by the check', async () => {
    const roundTrips = 20000;
    const finished = await runToEnd(harness.engine, {
      labId: 'sockets',
      scenarioId: 'transports',
      stepId: 'unix-vs-tcp',
      params: { roundTrips, totalBytes: 1 << 20 },
    });
    const { run, stored } = finished;
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    const lastBatch = ofKind(stored, 'snapshot.request').at(-1)!;
    for (const tr of ['unix', 'tcp']) {
      for (const [what, bytes] of [
        ['ping-pong', 2 * roundTrips * 64],
        ['stream', 1 << 20],
      ] as const) {
        const channel = `${tr}-native-${what}`;
        const begins = ofKind(stored, 'io.begin').filter((e) => e.channel === channel);
        const ends = ofKind(stored, 'io.end').filter((e) => e.channel === channel);
        assert.equal(begins.length, 1, `${channel}: one io.begin for the whole loop`);
        assert.equal(ends.length, 1, `${channel}: one io.end`);
        assert.equal(ends[0]!.bytes, bytes, `${channel}: the loop's bytes`);
        assert.ok(BigInt(begins[0]!.ts) > BigInt(lastBatch.ts), `${channel}: after the TypeScript batches`);
        assert.ok(BigInt(ends[0]!.ts) - BigInt(begins[0]!.ts) >= BigInt(ends[0]!.durationNs), `${channel}: the io pair encloses the loop's own interval`);
      }
      const p50 = ofKind(stored, 'measure').find((m) => m.name === `native ${tr} round trip p50`);
      assert.ok(p50 && p50.value > 0, `native ${tr} round trip p50: ${JSON.stringify(p50)}`);
      const rate = ofKind(stored, 'measure').find((m) => m.name === `native ${tr} throughput`);
      assert.ok(rate && rate.value > 0, `native ${tr} throughput: ${JSON.stringify(rate)}`);
      // The check's average, worked out here from the io pair.
      const begin = ofKind(stored, 'io.begin').find((e) => e.channel === `${tr}-native-ping-pong`)!;
      const end = ofKind(stored, 'io.end').find((e) => e.channel === `${tr}-native-ping-pong`)!;
      const average = Number(BigInt(end.ts) - BigInt(begin.ts)) / 1000 / roundTrips;
      const m = measured(run, `native-${tr}-round-trip`);
      assert.ok(m && Math.abs(m.value - average) <= 0.051, `native-${tr}-round-trip: ${JSON.stringify(m)}, worked out here ${average}`);
    }
    const ratio = measured(run, 'native-tcp-to-unix-round-trip');
    assert.ok(ratio && ratio.value > 0, `the ratio: ${JSON.stringify(ratio)}`);
    const detail = run.checks[0]!.detail;
    assert.match(
      detail,
      /in C loops \(main\/native\/measure-loops\.c\), on the same sockets: unix round trip [\d.]+ µs on average \(p50 [\d.]+ µs\), throughput \d+ MB\/s; tcp/,
    );
    assert.doesNotMatch(detail, /faster|slower|wins/, 'the check names no winner');
    // Per-call events would be tens of thousands: the loops add a handful.
    assert.ok(stored.length < 2000, `${stored.length} events in the run`);
    assertNothingLeft(run);
  });

  it('rpc step cost: the trip alone in a C loop, one io pair, measured and quoted beside the raw socket and the RPC', async () => {
    const calls = 1000;
    const finished = await runToEnd(harness.engine, { labId: 'rpc', scenarioId: 'cost', stepId: 'cost', params: { calls } });
    const { run, stored } = finished;
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    const begins = ofKind(stored, 'io.begin').filter((e) => e.channel === 'native');
    const ends = ofKind(stored, 'io.end').filter((e) => e.channel === 'native');
    assert.equal(begins.length, 1, 'one io.begin for the whole loop');
    assert.equal(ends.length, 1, 'one io.end');
    assert.equal(ends[0]!.bytes, 2 * calls * 12, '12 bytes each way per call');
    const median = ofKind(stored, 'measure').find((m) => m.name === 'native loop: median');
    assert.ok(median && median.value > 0, `native loop: median ${JSON.stringify(median)}`);
    const average = Number(BigInt(ends[0]!.ts) - BigInt(begins[0]!.ts)) / 1000 / calls;
    const m = measured(run, 'native-round-trip');
    assert.ok(m && Math.abs(m.value - average) <= 0.051, `native-round-trip: ${JSON.stringify(m)}, worked out here ${average}`);
    assert.match(
      run.checks[0]!.detail,
      /The trip alone in a C loop .*: median [\d.]+ [nµ]s \(90% within [\d.]+ [nµ]s\), [\d.]+ µs on average; raw socket in Node \/ C loop [\d.]+x\./,
    );
    assertNothingLeft(run);
  });
});
