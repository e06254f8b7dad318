/**
 * What the run history says about each run: the parameters changed from the step's starting values,
 * when (relative for today, local date and time before), how long, and how many checks held.
 * Dates are built in local time, so the tests hold in any time zone.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ParamSpec, RunSummary } from '../../../main/contract/lab-model.js';
import { changedParams, checksLine, checksSummary, durationText, paramChips, startingValues, whenText } from '../../../renderer/src/lib/state/run-facts.js';

const SPECS: ParamSpec[] = [
  { name: 'chunkBytes', label: 'Bytes per write', type: 'integer', default: 4096, min: 1, max: 65536, unit: 'bytes' },
  { name: 'totalKiB', label: 'Data to write in all', type: 'integer', default: 128, min: 1, max: 4096, unit: 'KiB' },
  { name: 'closeWriteEnd', label: 'Close the write end', type: 'boolean', default: true },
  { name: 'mode', label: 'Mode', type: 'choice', default: 'copy', options: ['copy', 'map'] },
];

describe('starting values and changed parameters', () => {
  test("the step's values over the scenario's defaults", () => {
    assert.deepEqual(startingValues(SPECS, { totalKiB: 16 }), { chunkBytes: 4096, totalKiB: 16, closeWriteEnd: true, mode: 'copy' });
  });

  test('a run with the starting values changed nothing', () => {
    const start = startingValues(SPECS, { totalKiB: 16 });
    assert.deepEqual(changedParams(SPECS, start, { ...start }), []);
  });

  test('each kind of parameter, in the scenario order', () => {
    const start = startingValues(SPECS, {});
    assert.deepEqual(changedParams(SPECS, start, { ...start, mode: 'map', chunkBytes: 1, closeWriteEnd: false }), ['chunkBytes', 'closeWriteEnd', 'mode']);
  });

  test("the step's own value counts as unchanged, the scenario default as changed", () => {
    const start = startingValues(SPECS, { totalKiB: 16 });
    assert.deepEqual(changedParams(SPECS, start, { ...start, totalKiB: 128 }), ['totalKiB']);
  });

  test('a parameter the scenario no longer has is listed as changed, last', () => {
    const start = startingValues(SPECS, {});
    assert.deepEqual(changedParams(SPECS, start, { ...start, chunkBytes: 2, oldOne: 3 }), ['chunkBytes', 'oldOne']);
  });

  test("chips: every value, the changed ones with the step's value", () => {
    const start = startingValues(SPECS, {});
    const chips = paramChips(SPECS, start, { ...start, totalKiB: 16, gone: 'x' });
    assert.deepEqual(
      chips.map((c) => [c.name, c.value, c.changed, c.stepValue]),
      [
        ['chunkBytes', '4096', false, null],
        ['totalKiB', '16', true, '128'],
        ['closeWriteEnd', 'true', false, null],
        ['mode', 'copy', false, null],
        ['gone', 'x', true, null],
      ],
    );
  });
});

describe('whenText', () => {
  const now = new Date(2026, 11, 2, 14, 30, 0);
  const at = (...args: [number, number, number, number, number, number?]) => new Date(...args).toISOString();

  test('relative for today', () => {
    assert.equal(whenText(at(2026, 11, 2, 14, 29, 40), now), 'just now');
    assert.equal(whenText(at(2026, 11, 2, 14, 25, 0), now), '5 min ago');
    assert.equal(whenText(at(2026, 11, 2, 13, 31, 0), now), '59 min ago');
    assert.equal(whenText(at(2026, 11, 2, 11, 0, 0), now), '3 h ago');
    assert.equal(whenText(at(2026, 11, 2, 0, 1, 0), now), '14 h ago');
  });

  test('yesterday, then the local date and time, with the year when it is not this one', () => {
    assert.equal(whenText(at(2026, 11, 1, 23, 59, 0), now), 'yesterday 23:59');
    assert.equal(whenText(at(2026, 10, 30, 9, 5, 0), now), '30 Nov 09:05');
    assert.equal(whenText(at(2025, 11, 31, 18, 0, 0), now), '31 Dec 2025 18:00');
  });

  test('a clock a little ahead still says "just now"; an unreadable date a dash', () => {
    assert.equal(whenText(at(2026, 11, 2, 14, 30, 20), now), 'just now');
    assert.equal(whenText('not a date', now), '–');
  });
});

describe('durationText', () => {
  const run = (startedAt: string, endedAt: string | null, status: RunSummary['status']) => ({ startedAt, endedAt, status });

  test('an ended run: from its start to its end', () => {
    assert.equal(durationText(run('2026-12-02T10:00:00.000Z', '2026-12-02T10:00:01.250Z', 'passed'), 0), '1.3 s');
    assert.equal(durationText(run('2026-12-02T10:00:00.000Z', '2026-12-02T10:00:00.420Z', 'failed'), 0), '420 ms');
    assert.equal(durationText(run('2026-12-02T10:00:00.000Z', '2026-12-02T10:02:05.000Z', 'stopped'), 0), '2 min 5 s');
  });

  test('a run going on: so far', () => {
    const start = '2026-12-02T10:00:00.000Z';
    assert.equal(durationText(run(start, null, 'running'), Date.parse(start) + 12_340), '12.3 s so far');
  });

  test('an ended run with no end recorded: a dash, never a time that keeps growing', () => {
    assert.equal(durationText(run('2026-12-02T10:00:00.000Z', null, 'error'), Date.parse('2026-12-03T10:00:00.000Z')), '–');
  });
});

describe('checksSummary', () => {
  const check = (passed: boolean) => ({ id: 'c', title: 'c', passed, detail: '', hint: '', moment: null });

  test('n/m of an ended run', () => {
    assert.deepEqual(checksSummary({ status: 'failed', checks: [check(true), check(false), check(true)] }), {
      state: 'some',
      text: '2/3',
      passed: 2,
      total: 3,
    });
    assert.deepEqual(checksSummary({ status: 'passed', checks: [check(true)] }), { state: 'all', text: '1/1', passed: 1, total: 1 });
  });

  test('no count where checks did not run or are still to run', () => {
    assert.equal(checksSummary({ status: 'running', checks: [] }).text, 'when it ends');
    assert.equal(checksSummary({ status: 'stopped', checks: [check(true)] }).text, 'not run');
    assert.equal(checksSummary({ status: 'timed-out', checks: [] }).text, 'not run');
    assert.equal(checksSummary({ status: 'completed', checks: [] }).text, 'no checks');
  });
});

describe('checksLine', () => {
  const check = (passed: boolean) => ({ id: 'c', title: 'c', passed, detail: '', hint: '', moment: null });

  test('the count in words once the checks ran', () => {
    assert.equal(checksLine({ status: 'failed', checks: [check(true), check(false), check(true)] }), '2 of 3 checks passed');
    assert.equal(checksLine({ status: 'passed', checks: [check(true)] }), '1 of 1 check passed');
  });

  test('what goes on, or why there is no count', () => {
    assert.equal(checksLine(null), 'not run yet');
    assert.equal(checksLine({ status: 'starting', checks: [] }), 'starting…');
    assert.equal(checksLine({ status: 'running', checks: [] }), 'running…');
    assert.equal(checksLine({ status: 'stopping', checks: [] }), 'stopping…');
    assert.equal(checksLine({ status: 'stopped', checks: [check(true)] }), 'checks not run');
    assert.equal(checksLine({ status: 'error', checks: [] }), 'checks not run');
    assert.equal(checksLine({ status: 'completed', checks: [] }), 'no checks in this step');
  });
});
