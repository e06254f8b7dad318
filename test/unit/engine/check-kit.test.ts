/**
 * The helpers checks walk streams with (main/engine/check-kit.ts): byTime merges by ts as a sort by
 * (ts, seq) would, and refuses a sequence out of time order; zip stops at the shorter and closes both.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { byTime, findIn, findLastIn, NotInTimeOrder, someIn, zip } from '../../../main/engine/check-kit.js';
import type { StoredEvent } from '../../../main/contract/trace-events.js';

const event = (seq: number, ts: number, kind = 'note'): StoredEvent =>
  ({ v: 1, runId: 1, seq, ts: String(ts), pid: 1, role: 'r', kind, text: '' }) as StoredEvent;

/** A sequence that says whether it was closed. */
function closable<E>(items: E[]) {
  const state = { closed: false };
  function* gen() {
    try {
      yield* items;
    } finally {
      state.closed = true;
    }
  }
  return { items: gen(), state };
}

describe('check-kit helpers', () => {
  it('byTime gives the order of a sort by (ts, seq), ties by seq, across any number of sequences', () => {
    const a = [event(1, 10), event(4, 30), event(6, 30), event(9, 70)];
    const b = [event(2, 5), event(3, 30), event(8, 31)];
    const c = [event(5, 30)];
    const sorted = [...a, ...b, ...c].sort((x, y) => Number(BigInt(x.ts) - BigInt(y.ts)) || x.seq - y.seq);
    assert.deepEqual(
      [...byTime(a, b, c)].map((e) => e.seq),
      sorted.map((e) => e.seq),
    );
    assert.deepEqual([...byTime(a, [])], a);
    assert.deepEqual([...byTime()], []);
  });

  it('byTime throws NotInTimeOrder on a sequence whose ts goes back, naming the event', () => {
    assert.throws(
      () => [...byTime([event(1, 10), event(2, 9)], [event(3, 1)])],
      (error: unknown) => error instanceof NotInTimeOrder && /#2/.test(error.message),
    );
  });

  it('zip pairs to the end of the shorter and closes both, also when left early', () => {
    const left = closable([1, 2, 3]);
    const right = closable(['a', 'b']);
    assert.deepEqual(
      [...zip(left.items, right.items)],
      [
        [1, 'a'],
        [2, 'b'],
      ],
    );
    assert.ok(left.state.closed && right.state.closed, 'both closed at the end');
    const l2 = closable([1, 2, 3]);
    const r2 = closable([4, 5, 6]);
    assert.deepEqual(
      findIn(zip(l2.items, r2.items), ([x]) => x === 1),
      [1, 4],
    );
    assert.ok(l2.state.closed && r2.state.closed, 'leaving early closes both');
  });

  it('findIn stops reading at the first match; findLastIn and someIn', () => {
    const s = closable([1, 2, 3, 4]);
    assert.equal(
      findIn(s.items, (x) => x > 1),
      2,
    );
    assert.ok(s.state.closed, 'closed at the match');
    assert.equal(
      findLastIn([1, 2, 3, 4], (x) => x % 2 === 1),
      3,
    );
    assert.equal(
      someIn([1, 2], (x) => x > 5),
      false,
    );
  });
});
