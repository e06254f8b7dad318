/**
 * Stepping through the timeline's marks by keyboard (mark-nav.ts): time order over every lane, the
 * nearest mark on the lane above or below, the ends, and a start with nothing chosen.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MarkOrder, type MarkRef } from '../../../renderer/src/lib/trace/mark-nav.js';
import type { Mark, MarkKind } from '../../../renderer/src/lib/trace/trace-model.js';

const m = (t: number, seq: number, kind: MarkKind = 'send'): Mark => ({ t, seq, kind, label: null });

// Lane 0: the parent at 0, 5, 9 ms; lane 1: empty; lane 2: the child at 2, 5 (later seq), 20 ms.
const lanes: Mark[][] = [[m(0, 1, 'start'), m(5, 3), m(9, 6)], [], [m(2, 2, 'start'), m(5, 4, 'receive'), m(20, 7, 'exit')]];
const order = new MarkOrder(lanes);
const seqOf = (ref: MarkRef | null) => (ref ? order.mark(ref)!.seq : null);

test('Left / Right walk every lane in time order, ties by sequence number, and stop at the ends', () => {
  const seen: (number | null)[] = [];
  let at: MarkRef | null = null;
  for (let i = 0; i < 7; i++) {
    at = order.move(at, 'next');
    seen.push(seqOf(at));
  }
  assert.deepEqual(seen, [1, 2, 3, 4, 6, 7, 7]);
  assert.equal(order.size, 6);
  assert.equal(order.positionOf(at!), 5);
  assert.equal(seqOf(order.move(at, 'previous')), 6);
  assert.equal(seqOf(order.move({ lane: 0, index: 0 }, 'previous')), 1);
});

test('with nothing chosen, Right and Home start at the first mark, Left and End at the last', () => {
  assert.equal(seqOf(order.move(null, 'next')), 1);
  assert.equal(seqOf(order.move(null, 'first')), 1);
  assert.equal(seqOf(order.move(null, 'previous')), 7);
  assert.equal(seqOf(order.move(null, 'last')), 7);
  assert.equal(seqOf(order.move(null, 'down')), 1);
});

test('Up / Down go to the nearest mark in time on the next lane that has marks, else stay', () => {
  const parentAt9: MarkRef = { lane: 0, index: 2 };
  assert.deepEqual(order.move(parentAt9, 'down'), { lane: 2, index: 1 }, 'the empty lane is skipped; 5 ms is nearest to 9 ms');
  assert.deepEqual(order.move({ lane: 2, index: 2 }, 'up'), { lane: 0, index: 2 });
  assert.deepEqual(order.move(parentAt9, 'up'), parentAt9, 'no lane above');
  assert.deepEqual(order.move({ lane: 2, index: 0 }, 'down'), { lane: 2, index: 0 }, 'no lane below');
});

test('Home / End, and a timeline without marks', () => {
  assert.equal(seqOf(order.move({ lane: 2, index: 1 }, 'first')), 1);
  assert.equal(seqOf(order.move({ lane: 0, index: 0 }, 'last')), 7);
  const empty = new MarkOrder([[], []]);
  assert.equal(empty.move(null, 'next'), null);
  assert.equal(empty.size, 0);
  assert.equal(order.positionOf({ lane: 1, index: 0 }), -1, 'not a mark');
});
