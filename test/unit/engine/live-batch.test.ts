import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIVE_BATCH_MAX_BYTES_EVENTS, LIVE_BATCH_MAX_EVENTS, LIVE_WHOLE_KINDS } from '../../../main/contract/commands.js';
import type { StoredEvent } from '../../../main/contract/trace-events.js';
import { liveBatch } from '../../../main/engine/live-batch.js';

/** A batch of `n` events: mostly io.end, with a process start and exit, snapshots and labelled messages among them. */
function batch(n: number): StoredEvent[] {
  return Array.from({ length: n }, (_, i) => {
    const kind = i === 3 ? 'process.start' : i === n - 5 ? 'process.exit' : i % 997 === 0 ? 'kernel.snapshot' : i % 7 === 0 ? 'message.bytes' : 'io.end';
    return { v: 1, runId: 1, seq: 100 + i, ts: String(1000 + i), pid: 7, role: 'writer', kind } as unknown as StoredEvent;
  });
}

describe('liveBatch: what a page is pushed of a stored batch', () => {
  it('passes a small batch through whole', () => {
    const events = batch(LIVE_BATCH_MAX_EVENTS);
    const pushed = liveBatch(1, events);
    assert.equal(pushed.events.length, events.length);
    assert.equal(pushed.skipped, 0);
    assert.equal(pushed.lastSeq, events.at(-1)!.seq);
  });

  it('bounds a large one: every event of the whole kinds, the latest labelled messages and the latest of the rest, in seq order', () => {
    const events = batch(50_000);
    const pushed = liveBatch(1, events);
    const whole = events.filter((e) => LIVE_WHOLE_KINDS.has(e.kind));
    assert.ok(whole.length > 40, 'the fixture has snapshots and process events');
    assert.deepEqual(
      pushed.events.filter((e) => LIVE_WHOLE_KINDS.has(e.kind)).map((e) => e.seq),
      whole.map((e) => e.seq),
    );
    const labelled = pushed.events.filter((e) => e.kind === 'message.bytes');
    assert.equal(labelled.length, LIVE_BATCH_MAX_BYTES_EVENTS);
    assert.deepEqual(
      labelled.map((e) => e.seq),
      events
        .filter((e) => e.kind === 'message.bytes')
        .slice(-LIVE_BATCH_MAX_BYTES_EVENTS)
        .map((e) => e.seq),
    );
    assert.ok(pushed.events.length <= LIVE_BATCH_MAX_EVENTS + LIVE_BATCH_MAX_BYTES_EVENTS, `${pushed.events.length} events pushed`);
    assert.equal(pushed.skipped, events.length - pushed.events.length);
    assert.equal(pushed.events.at(-1)!.seq, events.at(-1)!.seq, 'the latest event is always there');
    assert.equal(pushed.lastSeq, events.at(-1)!.seq);
    for (let i = 1; i < pushed.events.length; i++) assert.ok(pushed.events[i]!.seq > pushed.events[i - 1]!.seq, 'in seq order');
  });
});
