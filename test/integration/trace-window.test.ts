/**
 * Windowed trace queries (issue 13) over real runs: a real engine runs real labs (a pipe that fills and
 * blocks its writer, messages over a pipe, a bounded buffer in shared memory), and what trace.window,
 * trace.events, trace.find and trace.follow answer through the contract must agree with the events
 * the run stored. Bad requests are refused with the field named.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TRACE_EVENTS_PAGE_MAX, type TraceWindow } from '../../main/contract/commands.js';
import type { RunSummary } from '../../main/contract/lab-model.js';
import type { StoredEvent } from '../../main/contract/trace-events.js';
import { UserError } from '../../main/contract/errors.js';
import type { Engine } from '../../main/engine/engine.js';
import { findProjectRoot } from '../../main/project-root.js';
import { assertNothingLeft, openHarness, runToEnd, type Harness } from '../support/engine-harness.js';
import { assertAgrees, eventsOf, truthOf } from '../support/trace-window-truth.js';

let harness: Harness;
const runs: { name: string; run: RunSummary; stored: StoredEvent[]; engine: Engine }[] = [];

let flood: Harness;

before(async () => {
  harness = await openHarness();
  flood = await openHarness(join(findProjectRoot(), 'test', 'bench', 'labs'));
  for (const [name, request, on] of [
    ['pipes capacity', { labId: 'ordinary-pipes', scenarioId: 'capacity', stepId: 'capacity' }, harness],
    ['pipes messages', { labId: 'ordinary-pipes', scenarioId: 'messages', stepId: 'one-way' }, harness],
    // A thousand items through four slots: buffer levels and waits enough to be summarised at full span.
    [
      'shared-memory bounded buffer',
      { labId: 'shared-memory', scenarioId: 'bounded', params: { items: 1000, producerDelayMs: 0, consumerDelayMs: 0 } },
      harness,
    ],
    // Two processes emitting as fast as they can: lanes dense enough to be summarised.
    ['trace flood', { labId: 'trace-flood', scenarioId: 'flood', stepId: 'flood', params: { events: 5000 } }, flood],
  ] as const) {
    const finished = await runToEnd(on.engine, request);
    assertNothingLeft(finished.run);
    runs.push({ name, run: finished.run, stored: finished.stored, engine: on.engine });
  }
});
after(async () => {
  await harness.close();
  await flood.close();
});

describe('trace.window over real runs', () => {
  it('agrees with the stored events at every zoom, and past the end', async () => {
    const summarised = new Map<string, TraceWindow>();
    for (const { name, run, stored, engine } of runs) {
      const events = eventsOf(stored, run.startTs);
      const truth = truthOf(events);
      const overview = await engine.call('trace.window', { runId: run.runId, fromNs: 0, toNs: 1, width: 1 });
      const times = events.map((e) => e.t);
      assert.deepEqual(overview.span, { fromNs: Math.min(...times), toNs: Math.max(...times) }, `${name}: span`);
      const end = overview.span!.toNs + 1;
      const longest = [...truth.bars].sort((a, b) => b.t1 - b.t0 - (a.t1 - a.t0))[0];
      const middle = Math.floor(end / 2);
      const windows: [number, number, number][] = [
        [0, end, 1600],
        [0, end, 8192],
        [0, end, 7],
        [middle, middle + 1_000_000, 1600],
        [middle - 100_000, middle + 50_000_000, 640],
        [end + 1_000_000, end + 2_000_000_000, 800],
        ...(longest ? ([[longest.t0 - 1_000_000, longest.t1 + 1_000_000, 1000]] as [number, number, number][]) : []),
      ];
      for (const [fromNs, toNs, width] of windows) {
        const answer = await engine.call('trace.window', { runId: run.runId, fromNs, toNs, width });
        assertAgrees(answer, truth, fromNs, toNs, width);
        if (fromNs === 0 && width === 1600) summarised.set(name, answer);
      }
      if (name === 'pipes capacity') assert.ok(longest, 'the capacity run has a blocked write');
      if (name === 'pipes messages') assert.ok(truth.arrows.length > 0, 'the messages run has arrows');
      if (name === 'shared-memory bounded buffer') assert.ok(truth.levels.size > 0, 'the bounded buffer reports its level');
    }
    // The dense runs were summarised at full span, not answered raw.
    assert.ok(
      summarised.get('trace flood')!.lanes.some((l) => !l.raw),
      'the flood lanes come as buckets',
    );
    assert.ok(!summarised.get('shared-memory bounded buffer')!.occupancy[0]!.raw, 'the bounded buffer level comes as buckets');
  });

  it('refuses an unknown run, a reversed window and widths out of range, naming the field and the fix', async () => {
    const { runId } = runs[0]!.run;
    const refusal = async (request: Record<string, unknown>) => {
      try {
        await harness.engine.call('trace.window', { runId, fromNs: 0, toNs: 1000, width: 100, ...request });
      } catch (error) {
        assert.ok(error instanceof UserError, String(error));
        return error;
      }
      assert.fail(`${JSON.stringify(request)} was accepted`);
    };
    const unknown = await refusal({ runId: 99_999 });
    assert.equal(unknown.code, 'unknown-run');
    const reversed = await refusal({ fromNs: 1000, toNs: 10 });
    assert.match(reversed.message, /"fromNs" \(1000\) must be less than "toNs" \(10\)/);
    assert.match(reversed.fix, /fromNs is before its toNs/);
    for (const width of [0, 8193, 1e12]) {
      const error = await refusal({ width });
      assert.equal(error.code, 'bad-request');
      assert.match(error.message, /"width" width is the window's width in pixels, from 1 to 8192/);
    }
    const missing = await refusal({ width: undefined });
    assert.match(missing.message, /"width"/);
  });
});

describe('trace.events, trace.find and trace.follow over a real run', () => {
  it('pages every stored event in time order, with positions and the total', async () => {
    for (const { name, run, stored, engine } of runs) {
      const sorted = [...stored].sort((a, b) => (BigInt(a.ts) < BigInt(b.ts) ? -1 : BigInt(a.ts) > BigInt(b.ts) ? 1 : a.seq - b.seq));
      const seen: number[] = [];
      for (let index = 0; ;) {
        const page = await engine.call('trace.events', { runId: run.runId, from: { index }, limit: TRACE_EVENTS_PAGE_MAX });
        assert.equal(page.total, stored.length, `${name}: total`);
        assert.equal(page.index, index, `${name}: index`);
        if (page.events.length === 0) break;
        seen.push(...page.events.map((e) => e.seq));
        index += page.events.length;
      }
      assert.deepEqual(
        seen,
        sorted.map((e) => e.seq),
        `${name}: every event once, in (ts, seq) order`,
      );
    }
  });

  it('jumps to the next blocked call and follows a message to its receive', async () => {
    const messages = runs.find((r) => r.name === 'pipes messages')!;
    const send = messages.stored.find((e) => e.kind === 'message.send')!;
    const followed = await harness.engine.call('trace.follow', { runId: messages.run.runId, seq: send.seq });
    assert.equal(followed.partner?.kind, 'message.receive');
    assert.equal((followed.partner as { messageId: number }).messageId, (send as { messageId: number }).messageId);
    const back = await harness.engine.call('trace.follow', { runId: messages.run.runId, seq: followed.partner!.seq });
    assert.equal(back.partner?.seq, send.seq);

    const capacity = runs.find((r) => r.name === 'pipes capacity')!;
    const found = await harness.engine.call('trace.find', { runId: capacity.run.runId, ts: 0, kind: 'io.end', direction: 'next' });
    const start = BigInt(capacity.run.startTs);
    const firstEnd = capacity.stored.filter((e) => e.kind === 'io.end').sort((a, b) => Number(BigInt(a.ts) - BigInt(b.ts)) || a.seq - b.seq)[0]!;
    assert.equal(found.event?.seq, firstEnd.seq);
    assert.equal(found.t, Number(BigInt(firstEnd.ts) - start));
    await assert.rejects(
      harness.engine.call('trace.events', { runId: capacity.run.runId, from: { index: 0 }, limit: TRACE_EVENTS_PAGE_MAX + 1 }),
      (e: unknown) => e instanceof UserError && /"limit"/.test(e.message),
    );
  });
});
