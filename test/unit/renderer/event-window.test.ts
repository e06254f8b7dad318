/**
 * The event list's plain rules (event-window.ts): the engine filter a form gives, which rows are on
 * screen and whether the loaded block holds them, which block to ask for, where keys move the
 * selection, how far to scroll, the details pane's fields, and the pacing of requests.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoredEvent } from '../../../main/contract/trace-events.js';
import {
  EVENT_BLOCK_ROWS,
  EVENT_OVERSCAN_ROWS,
  EVENT_ROW_PX,
  NO_FILTER,
  RequestPacer,
  blockStartFor,
  covers,
  eventAt,
  eventFields,
  indexOfSeq,
  isFiltered,
  keyTarget,
  pageRequestFor,
  scrollToShow,
  traceFilterOf,
  viewportAt,
} from '../../../renderer/src/lib/state/event-window.js';

const START = '1000000000000';
const event = (seq: number, ms: number, extra: Record<string, unknown> = {}): StoredEvent =>
  ({
    runId: 7,
    seq,
    ts: String(BigInt(START) + BigInt(Math.round(ms * 1e6))),
    pid: 42,
    role: 'writer',
    kind: 'io.end',
    op: 'write',
    channel: 'pipe',
    bytes: 64,
    durationNs: '1500',
    ...extra,
  }) as unknown as StoredEvent;

test('the form gives the engine only what it asks for: blank text, "any" kind and process are left out', () => {
  assert.deepEqual(traceFilterOf(NO_FILTER), {});
  assert.equal(isFiltered(NO_FILTER), false);
  assert.equal(isFiltered({ ...NO_FILTER, text: '   ' }), false);
  assert.deepEqual(traceFilterOf({ text: '  EPIPE ', kind: 'io.error', pid: 0, channel: ' pipe ' }), {
    text: 'EPIPE',
    kinds: ['io.error'],
    pids: [0],
    channel: 'pipe',
  });
});

test('the viewport is the rows under the scroll offset, clamped to the list', () => {
  assert.deepEqual(viewportAt(0, 240, 1000), { first: 0, count: 11 });
  assert.deepEqual(viewportAt(10 * EVENT_ROW_PX + 5, 240, 1000), { first: 10, count: 11 });
  // Near the end, only the rows there are.
  assert.deepEqual(viewportAt(995 * EVENT_ROW_PX, 240, 1000), { first: 995, count: 5 });
  assert.deepEqual(viewportAt(500, 240, 0), { first: 0, count: 0 });
});

test('a block covers the viewport and the overscan around it, as far as there are events', () => {
  const events = Array.from({ length: EVENT_BLOCK_ROWS }, (_, i) => event(i + 1, i));
  const block = { start: 100, events };
  assert.equal(covers(block, { first: 100 + EVENT_OVERSCAN_ROWS, count: 10 }, 10_000), true);
  assert.equal(covers(block, { first: 100 + EVENT_OVERSCAN_ROWS - 1, count: 10 }, 10_000), false, 'the overscan above is not loaded');
  assert.equal(covers(block, { first: 100 + EVENT_BLOCK_ROWS - EVENT_OVERSCAN_ROWS - 10, count: 10 }, 10_000), true);
  assert.equal(covers(block, { first: 100 + EVENT_BLOCK_ROWS - EVENT_OVERSCAN_ROWS - 9, count: 10 }, 10_000), false, 'the overscan below is not loaded');
  // The last rows of the run: nothing to load past the end.
  assert.equal(covers(block, { first: 100 + EVENT_BLOCK_ROWS - 10, count: 10 }, 100 + EVENT_BLOCK_ROWS), true);
  assert.equal(covers({ start: 0, events: [] }, { first: 0, count: 0 }, 0), true);
  assert.equal(covers({ start: 0, events: [] }, { first: 0, count: 10 }, 5), false);
});

test('a new block centres the viewport, within the list; following asks for the true end', () => {
  assert.equal(blockStartFor({ first: 0, count: 10 }, 10_000), 0);
  assert.equal(blockStartFor({ first: 5000, count: 10 }, 10_000), 5000 - (EVENT_BLOCK_ROWS - 10) / 2);
  assert.equal(blockStartFor({ first: 9995, count: 5 }, 10_000), 10_000 - EVENT_BLOCK_ROWS);
  assert.equal(blockStartFor({ first: 3, count: 5 }, 50), 0, 'a list shorter than a block starts at 0');
  assert.deepEqual(pageRequestFor(false, { first: 5000, count: 10 }, 10_000), {
    from: { index: 5000 - (EVENT_BLOCK_ROWS - 10) / 2 },
    direction: 'forward',
    limit: EVENT_BLOCK_ROWS,
  });
  assert.deepEqual(pageRequestFor(true, { first: 0, count: 10 }, 0), { from: { ts: Number.MAX_SAFE_INTEGER }, direction: 'backward', limit: EVENT_BLOCK_ROWS });
});

test('rows are found by position and by seq in the loaded block only', () => {
  const block = { start: 10, events: [event(31, 1), event(35, 2), event(36, 2)] };
  assert.equal(eventAt(block, 11)?.seq, 35);
  assert.equal(eventAt(block, 9), null);
  assert.equal(eventAt(block, 13), null);
  assert.equal(indexOfSeq(block, 36), 12);
  assert.equal(indexOfSeq(block, 32), -1);
});

test('keys move the selection by a row, a screen, or to an end, and stop at the ends', () => {
  assert.equal(keyTarget('ArrowDown', 4, 10, 5), 5);
  assert.equal(keyTarget('ArrowUp', 4, 10, 5), 3);
  assert.equal(keyTarget('ArrowUp', 0, 10, 5), 0);
  assert.equal(keyTarget('ArrowDown', 9, 10, 5), 9);
  assert.equal(keyTarget('PageDown', 4, 10, 5), 8, 'a screen less one row, so one row stays in view');
  assert.equal(keyTarget('PageDown', 8, 10, 5), 9);
  assert.equal(keyTarget('PageUp', 2, 10, 5), 0);
  assert.equal(keyTarget('Home', 6, 10, 5), 0);
  assert.equal(keyTarget('End', 6, 10, 5), 9);
  assert.equal(keyTarget('ArrowDown', null, 10, 5), 0, 'with nothing chosen, down starts at the first');
  assert.equal(keyTarget('ArrowUp', null, 10, 5), 9, 'and up at the last');
  assert.equal(keyTarget('x', 3, 10, 5), null);
  assert.equal(keyTarget('ArrowDown', null, 0, 5), null, 'an empty list has nothing to choose');
});

test('scrolling to show a row moves the least, and not at all when it is in view', () => {
  assert.equal(scrollToShow(10, 0, 10 * EVENT_ROW_PX), EVENT_ROW_PX, 'just below: scrolled down one row');
  assert.equal(scrollToShow(9, 0, 10 * EVENT_ROW_PX), null);
  assert.equal(scrollToShow(3, 5 * EVENT_ROW_PX, 10 * EVENT_ROW_PX), 3 * EVENT_ROW_PX, 'above: to its top');
  assert.equal(scrollToShow(5, 5 * EVENT_ROW_PX, 10 * EVENT_ROW_PX), null);
});

test('the details pane lists every field: the time since the start first, objects as JSON, no run id', () => {
  const fields = eventFields(event(3, 12.5, { extra: { a: [1, 2] }, note: null }), START);
  assert.deepEqual(fields[0], { name: 'time', value: `12.500 ms since the start (ts ${BigInt(START) + 12_500_000n})` });
  const byName = new Map(fields.map((f) => [f.name, f.value]));
  assert.equal(byName.get('seq'), '3');
  assert.equal(byName.get('kind'), 'io.end');
  assert.equal(byName.get('bytes'), '64');
  assert.equal(byName.get('extra'), '{"a":[1,2]}');
  assert.equal(byName.get('note'), 'null');
  assert.equal(byName.has('runId'), false);
  assert.equal(byName.has('ts'), false, 'the stamp is said once, in the time field');
  assert.deepEqual(
    fields.map((f) => f.name),
    ['time', 'seq', 'pid', 'role', 'kind', 'op', 'channel', 'bytes', 'durationNs', 'extra', 'note'],
  );
  assert.equal(eventFields(event(1, 0, { ts: 'soon' }), START)[0]!.value, 'not a time (ts soon)');
});

/** A clock and timers a test moves by hand: the pacer's rule is about time, the test must not wait on it. */
function manualClock() {
  let now = 0;
  const timers: { at: number; fn: () => void }[] = [];
  return {
    now: () => now,
    setTimer: (fn: () => void, ms: number) => {
      const timer = { at: now + ms, fn };
      timers.push(timer);
      return timer;
    },
    clearTimer: (timer: unknown) => void timers.splice(timers.indexOf(timer as (typeof timers)[number]), 1),
    advance(ms: number) {
      now += ms;
      for (const timer of timers.filter((t) => t.at <= now)) {
        timers.splice(timers.indexOf(timer), 1);
        timer.fn();
      }
    },
    pending: () => timers.length,
  };
}

/** Lets the pacer's promise callbacks run (a request answered). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

test('the pacer sends at most one request per interval, one at a time, and merges the wants between', async () => {
  const clock = manualClock();
  const answers: (() => void)[] = [];
  let sent = 0;
  const pacer = new RequestPacer(
    () => {
      sent++;
      return new Promise<void>((resolve) => answers.push(resolve));
    },
    { intervalMs: 100, ...clock },
  );
  pacer.want();
  assert.equal(sent, 1, 'the first want is sent at once');
  pacer.want();
  pacer.want();
  assert.equal(sent, 1, 'not while one is in flight');
  answers.shift()!();
  await settle();
  assert.equal(sent, 1, 'answered within the interval: the next waits for it');
  assert.equal(clock.pending(), 1);
  clock.advance(99);
  assert.equal(sent, 1);
  clock.advance(1);
  assert.equal(sent, 2, 'the wants made meanwhile are one request');
  answers.shift()!();
  await settle();
  clock.advance(1000);
  assert.equal(sent, 2, 'nothing wanted, nothing sent');
  pacer.want();
  assert.equal(sent, 3, 'a want after a quiet while is sent at once');
  answers.shift()!();
  await settle();
  pacer.want();
  pacer.cancel();
  clock.advance(1000);
  assert.equal(sent, 3, 'cancel forgets what was wanted');
});

test('a failed request does not stop the pacer', async () => {
  const clock = manualClock();
  let sent = 0;
  const pacer = new RequestPacer(
    () => {
      sent++;
      return Promise.reject(new Error('engine gone'));
    },
    { intervalMs: 100, ...clock },
  );
  pacer.want();
  await settle();
  pacer.want();
  clock.advance(100);
  assert.equal(sent, 2);
});
