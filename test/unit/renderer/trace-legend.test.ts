/**
 * The timeline legend's rows: one per mark kind the timeline can draw, each with its meaning and the
 * trace events that draw it, found through the same markKindOf the timeline model uses.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MARK_KINDS, markKindOf } from '../../../main/contract/trace-marks.js';
import { LAB_EVENT_KINDS } from '../../../main/contract/trace-events.js';
import { MARK_ROWS, blockedThresholdText, markEvents } from '../../../renderer/src/lib/components/trace-legend.js';

describe('trace legend', () => {
  test('has a row for every mark kind, in MARK_KINDS order, each with a meaning', () => {
    assert.deepEqual(
      MARK_ROWS.map((r) => r.kind),
      [...MARK_KINDS],
    );
    for (const row of MARK_ROWS) assert.ok(row.meaning.length > 10, `${row.kind} has a meaning`);
  });

  test('every mark kind is drawn by at least one event kind, and the rows say which', () => {
    for (const row of MARK_ROWS) assert.ok(row.events.length > 0, `${row.kind}: no event kind draws it`);
    assert.deepEqual(markEvents('reap'), ['child.exit']);
    assert.deepEqual(markEvents('start'), ['process.start', 'host.spawn']);
    assert.deepEqual(markEvents('killed'), ['host.exit'], 'host.exit with a signal');
    assert.ok(markEvents('exit').includes('host.exit') && markEvents('exit').includes('process.exit'), 'host.exit without a signal, and process.exit');
  });

  test("each listed event kind is one markKindOf maps to that row's mark", () => {
    for (const row of MARK_ROWS)
      for (const kind of row.events)
        assert.ok(markKindOf(kind) === row.kind || markKindOf(kind, 'SIGTERM') === row.kind, `${kind} is listed under ${row.kind}`);
  });

  test('every lab event kind that gets a mark is in some row; the unmarked ones (buffer.level, message.bytes) in none', () => {
    const listed = new Set(MARK_ROWS.flatMap((r) => r.events));
    for (const kind of LAB_EVENT_KINDS) assert.equal(listed.has(kind), markKindOf(kind) !== null, `${kind}: listed ${listed.has(kind)}`);
    assert.ok(!listed.has('buffer.level') && !listed.has('message.bytes') && !listed.has('kernel.snapshot'), 'unmarked kinds are not listed');
  });

  test('the blocked threshold is written from the contract', () => {
    assert.equal(blockedThresholdText(), '1 ms');
  });
});
