/**
 * What issue 13 added to the timeline, on real runs: RPC calls and replies as arrows (the failures
 * step, through the lossy link), the client's wait for a reply as a blocked bar ending at ETIMEDOUT,
 * fill-level tracks of a pipe and a FIFO read from the kernel (FIONREAD, F_GETPIPE_SZ), and the race
 * counter's track read from its segment. The engine's trace.window and the page's model must agree
 * with each other and with the raw events.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ParamValues } from '../../main/contract/lab-model.js';
import type { StoredEvent, StoredEventOf } from '../../main/contract/trace-events.js';
import { TraceModel } from '../../renderer/src/lib/trace/trace-model.js';
import { assertNothingLeft, openHarness, runToEnd, type FinishedRun, type Harness } from '../support/engine-harness.js';
import { assertAgrees, eventsOf, truthOf } from '../support/trace-window-truth.js';

let harness: Harness;
before(async () => {
  harness = await openHarness();
});
after(async () => {
  await harness.close();
});

function of<K extends StoredEvent['kind']>(events: StoredEvent[], kind: K, role?: string): StoredEventOf<K>[] {
  return events.filter((e) => e.kind === kind && (role === undefined || e.role === role)) as StoredEventOf<K>[];
}

async function step(labId: string, scenarioId: string, stepId: string, params: ParamValues = {}): Promise<FinishedRun> {
  const finished = await runToEnd(harness.engine, { labId, scenarioId, stepId, params });
  assertNothingLeft(finished.run);
  const rejected = of(finished.stored, 'trace.rejected');
  assert.equal(rejected.length, 0, JSON.stringify(rejected));
  return finished;
}

/** The whole run as trace.window answers it, at the widest width (raw where it fits). */
async function wholeWindow(finished: FinishedRun) {
  const overview = await harness.engine.call('trace.window', { runId: finished.run.runId, fromNs: 0, toNs: 1, width: 1 });
  const toNs = overview.span!.toNs + 1;
  const answer = await harness.engine.call('trace.window', { runId: finished.run.runId, fromNs: 0, toNs, width: 8192 });
  const truth = truthOf(eventsOf(finished.stored, finished.run.startTs));
  assertAgrees(answer, truth, 0, toNs, 8192);
  return { answer, truth, toNs };
}

const ns = (e: StoredEvent) => BigInt(e.ts);

describe('the timeline of real runs', () => {
  it('RPC failures step: calls and replies are arrows, the dropped reply ends at the link, the wait for it is a bar ending ETIMEDOUT', async () => {
    const timeoutMs = 1000;
    const finished = await step('rpc', 'failures', 'failures', { timeoutMs });
    const { run, stored } = finished;
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    const { answer } = await wholeWindow(finished);
    assert.ok(answer.arrows.raw, 'the arrows come raw');
    const bySeq = new Map(stored.map((e) => [e.seq, e]));
    const arrows = answer.arrows.items.map((a) => ({ from: bySeq.get(a.fromSeq)!, to: bySeq.get(a.toSeq)!, ...a }));

    // Every reply the client got is the end of an arrow from the server's execution or replay of that xid.
    const replies = of(stored, 'rpc.reply', 'client');
    assert.ok(replies.length >= 1, 'the client got replies');
    for (const reply of replies) {
      const arrow = arrows.find((a) => a.toSeq === reply.seq);
      assert.ok(arrow, `an arrow ends at the reply to xid ${reply.xid}`);
      assert.equal(arrow.from.role, 'server', `the reply to xid ${reply.xid} comes from the server`);
      assert.ok(['rpc.execute', 'rpc.duplicate'].includes(arrow.from.kind), `${arrow.from.kind} sends a reply`);
      assert.equal((arrow.from as StoredEventOf<'rpc.execute'>).xid, reply.xid, 'same xid');
      assert.ok(ns(arrow.from) <= ns(reply), 'a reply is got after it was sent');
    }
    // Every attempt that reached the server is an arrow from the client's rpc.call, sent before it was taken.
    for (const execute of [...of(stored, 'rpc.execute', 'server'), ...of(stored, 'rpc.duplicate', 'server')]) {
      const arrow = arrows.find((a) => a.toSeq === execute.seq && a.from.kind === 'rpc.call');
      assert.ok(arrow, `an arrow from a call ends at the server's ${execute.kind} of xid ${execute.xid}`);
      assert.equal((arrow.from as StoredEventOf<'rpc.call'>).xid, execute.xid, 'same xid');
      assert.ok(ns(arrow.from) <= ns(execute), 'a call is taken after it was sent');
    }
    // The replies the link dropped: an arrow from the server ends at the link's rpc.fault.
    const dropped = of(stored, 'rpc.fault', 'link').filter((f) => f.fault === 'drop-reply');
    assert.ok(dropped.length >= 1, 'the link dropped a reply');
    for (const fault of dropped)
      assert.ok(
        arrows.some((a) => a.toSeq === fault.seq && a.from.role === 'server'),
        `the dropped reply to xid ${fault.xid} is drawn from the server to the link`,
      );

    // The client's wait for each dropped reply ends ETIMEDOUT after the timeout: a bar in its lane.
    const client = run.processes.find((p) => p.role === 'client')!;
    const lane = answer.lanes.find((l) => l.pid === client.pid)!;
    assert.ok(lane.raw, 'the client lane comes raw');
    const timedOut = lane.bars.filter((b) => b.code === 'ETIMEDOUT' && b.op === 'wait');
    assert.equal(timedOut.length, dropped.length, `one ETIMEDOUT bar per dropped reply: ${JSON.stringify(lane.bars)}`);
    for (const bar of timedOut) {
      assert.match(bar.channel, /^bank: reply to xid \d+$/);
      // The timer is armed just before the io.begin's stamp: the wait is the timeout, to within a hair.
      assert.ok(bar.t1 - bar.t0 >= 0.95 * timeoutMs * 1e6, `a wait of ${(bar.t1 - bar.t0) / 1e6} ms ended at a ${timeoutMs} ms timeout`);
    }

    // The page's model draws the same arrows as the engine.
    const model = new TraceModel(run.startTs);
    model.append(stored);
    const pageArrows = model.arrows.map((a) => [model.lanes[a.fromLane]!.pid, a.t0, model.lanes[a.toLane]!.pid, a.t1].join(' ')).sort();
    assert.deepEqual(pageArrows, answer.arrows.items.map((a) => [a.fromPid, a.t0 / 1e6, a.toPid, a.t1 / 1e6].join(' ')).sort());
  });

  it('pipes capacity step: the pipe fill track is the kernel reading, up to what the pipe holds, and empty at the end', async () => {
    const finished = await step('ordinary-pipes', 'capacity', 'capacity');
    const { run, stored } = finished;
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    const levels = of(stored, 'buffer.level').filter((l) => l.channel === 'pipe');
    const capacity = of(stored, 'measure', 'parent').find((m) => m.name === 'F_GETPIPE_SZ')!.value;
    const page = of(stored, 'measure', 'parent').find((m) => m.name === 'page size')!.value;
    const chunk = Number(run.params.chunkBytes);
    assert.ok(levels.length > 0, 'the pipe has a fill track');
    assert.ok(
      levels.every((l) => l.capacity === capacity && l.used >= 0 && l.used <= capacity),
      'each level is within the capacity F_GETPIPE_SZ gave',
    );
    assert.deepEqual([...new Set(levels.map((l) => l.role))].sort(), ['child', 'parent'], 'the writer and the reader both read it');
    // Full: 16 slots each holding as many whole writes as fit in a page (a write of at most a page is never split).
    const full = (capacity / page) * Math.floor(page / chunk) * chunk;
    assert.equal(Math.max(...levels.map((l) => l.used)), full, 'the highest level is the pipe full');
    const last = levels.sort((a, b) => (ns(a) < ns(b) ? -1 : ns(a) > ns(b) ? 1 : a.seq - b.seq)).at(-1)!;
    assert.equal(last.used, 0, 'the reader drained the pipe');
    const { answer } = await wholeWindow(finished);
    assert.deepEqual(
      answer.occupancy.filter((t) => t.channel === 'pipe').map((t) => t.capacity),
      [capacity],
    );
  });

  it('named pipes step 1: the FIFO fill track is the kernel reading, in both processes', async () => {
    const finished = await step('named-pipes', 'two-programs', 'unrelated-processes');
    const { run, stored } = finished;
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    const levels = of(stored, 'buffer.level').filter((l) => l.channel === 'chat');
    assert.ok(levels.length >= of(stored, 'io.end', 'writer').filter((e) => e.op === 'write').length, 'a level after each write');
    assert.ok(
      levels.every((l) => l.capacity !== null && l.capacity >= 4096 && l.used <= l.capacity),
      'levels within the FIFO capacity',
    );
    await wholeWindow(finished);
  });

  it("race step: the counter's track is its value in the segment, ending at each round's counter", async () => {
    const finished = await step('shared-memory', 'race', 'race-condition', { increments: 100_000 });
    const { stored } = finished;
    const track = of(stored, 'buffer.level', 'starter').filter((l) => l.channel === 'counter (its value in the segment)');
    const counters = of(stored, 'measure', 'starter').filter((m) => m.name.endsWith(': counter'));
    assert.ok(counters.length >= 2, 'two rounds at least');
    // Each round's last reading (just before its measure) is the counter it measured.
    for (const measure of counters) {
      const before = track.filter((l) => ns(l) <= ns(measure)).at(-1);
      assert.equal(before?.used, measure.value, `${measure.name}: the track's last reading is the counter`);
    }
    assert.ok(track.length > 2 * counters.length, `readings while the workers ran: ${track.length}`);
    await wholeWindow(finished);
  });
});
