/**
 * Two runs of a step compared: rows marked where the runs differ, and both timelines drawn on one time
 * scale by the lab page's own painter (a moment lands at the same x in both; the shorter run's canvas
 * ends where it ended).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CheckInfo, ParamSpec, RunSummary } from '../../../main/contract/lab-model.js';
import type { StoredEvent } from '../../../main/contract/trace-events.js';
import {
  alignTimelines,
  compareChecks,
  compareMeasurements,
  compareParams,
  measurementsOf,
  measurementText,
} from '../../../renderer/src/lib/state/run-compare.js';
import { startingValues } from '../../../renderer/src/lib/state/run-facts.js';

/**
 * The painter's mapping of a window onto a canvas (trace-painter.ts `timeToX`, which needs the DOM's
 * types to compile and so cannot be imported here); the e2e test checks the real painter's strips.
 */
function timeToX(t: number, window: { t0: number; t1: number }, width: number, pad = PAD): number {
  return pad + ((t - window.t0) / (window.t1 - window.t0)) * (width - 2 * pad);
}
const PAD = 12;

const SPECS: ParamSpec[] = [
  { name: 'chunkBytes', label: 'Bytes per write', type: 'integer', default: 4096, min: 1, max: 65536, unit: 'bytes' },
  { name: 'totalKiB', label: 'Data to write in all', type: 'integer', default: 128, min: 1, max: 4096, unit: 'KiB' },
  { name: 'readerDelayMs', label: 'Reader delay', type: 'integer', default: 1000, min: 0, max: 30000, unit: 'ms' },
];

function run(runId: number, over: Partial<RunSummary>): RunSummary {
  return {
    runId,
    labVersion: null,
    sessionId: 1,
    labId: 'ordinary-pipes',
    stepId: 'capacity',
    scenarioId: 'capacity',
    params: {},
    status: 'passed',
    startTs: '1000',
    startedAt: '2026-12-02T10:00:00.000Z',
    endedAt: '2026-12-02T10:00:01.000Z',
    message: null,
    processes: [],
    checks: [],
    ...over,
  };
}

const result = (id: string, passed: boolean, detail = '') => ({ id, title: id, passed, detail, hint: '', moment: null });

describe('compareParams', () => {
  test('rows in the scenario order, the ones that differ marked, and which differ from the step', () => {
    const start = startingValues(SPECS, { totalKiB: 256 });
    const rows = compareParams(SPECS, start, { chunkBytes: 4096, totalKiB: 256, readerDelayMs: 1000 }, { chunkBytes: 4096, totalKiB: 16, readerDelayMs: 1000 });
    assert.deepEqual(
      rows.map((r) => [r.name, r.step, r.a, r.b, r.differs, r.aChanged, r.bChanged, r.unit]),
      [
        ['chunkBytes', '4096', '4096', '4096', false, false, false, 'bytes'],
        ['totalKiB', '256', '256', '16', true, false, true, 'KiB'],
        ['readerDelayMs', '1000', '1000', '1000', false, false, false, 'ms'],
      ],
    );
  });

  test('a parameter only one run has (an older lab version) is a row of its own that differs', () => {
    const start = startingValues(SPECS, {});
    const rows = compareParams(SPECS, start, { ...start, legacy: 3 }, { ...start });
    const legacy = rows.find((r) => r.name === 'legacy');
    assert.ok(legacy, 'a row for the parameter only run A has');
    assert.deepEqual([legacy.a, legacy.b, legacy.differs], ['3', '–', true]);
  });
});

describe('compareChecks', () => {
  const checks: CheckInfo[] = [
    { id: 'writer-blocked', title: 'The writer blocked' },
    { id: 'capacity-measured', title: 'The capacity was measured' },
  ];

  test('each check with both outcomes and details; rows whose outcome differs are marked', () => {
    const a = run(1, { status: 'passed', checks: [result('writer-blocked', true, 'blocked 1 s'), result('capacity-measured', true, '65536 bytes')] });
    const b = run(2, { status: 'failed', checks: [result('writer-blocked', false, 'never blocked'), result('capacity-measured', true, '65536 bytes')] });
    assert.deepEqual(
      compareChecks(checks, a, b).map((r) => [r.id, r.a.state, r.a.detail, r.b.state, r.b.detail, r.differs]),
      [
        ['writer-blocked', 'passed', 'blocked 1 s', 'failed', 'never blocked', true],
        ['capacity-measured', 'passed', '65536 bytes', 'passed', '65536 bytes', false],
      ],
    );
  });

  test('a stopped run has no outcome, and says why', () => {
    const a = run(1, { status: 'passed', checks: [result('writer-blocked', true), result('capacity-measured', true)] });
    const b = run(2, { status: 'stopped', checks: [result('writer-blocked', true)] });
    const rows = compareChecks(checks, a, b);
    assert.deepEqual(
      rows.map((r) => [r.b.state, r.b.detail, r.differs]),
      [
        ['not-checked', 'Not checked: the run was stopped.', true],
        ['not-checked', 'Not checked: the run was stopped.', true],
      ],
    );
  });
});

describe('measurements', () => {
  let seq = 0;
  const measure = (name: string, value: number, unit: string, role = 'parent'): StoredEvent =>
    ({ v: 1, ts: '2000', pid: 10, role, kind: 'measure', runId: 1, seq: ++seq, name, value, unit }) as unknown as StoredEvent;
  const other = { v: 1, ts: '2000', pid: 10, role: 'parent', kind: 'note', runId: 1, seq: ++seq, text: 'x' } as unknown as StoredEvent;

  test('one per name, in the order first measured, with the last value and how many times', () => {
    const ms = measurementsOf([
      measure('page size', 4096, 'bytes'),
      other,
      measure('bytes read', 10, 'bytes', 'child'),
      measure('bytes read', 20, 'bytes', 'child'),
    ]);
    assert.deepEqual(
      ms.map((m) => [m.name, m.value, m.unit, m.role, m.count]),
      [
        ['page size', 4096, 'bytes', 'parent', 1],
        ['bytes read', 20, 'bytes', 'child', 2],
      ],
    );
  });

  test('rows differ on a value, a unit, or a measurement only one run made', () => {
    const a = measurementsOf([measure('F_GETPIPE_SZ', 65536, 'bytes'), measure('bytes read', 131072, 'bytes')]);
    const b = measurementsOf([measure('F_GETPIPE_SZ', 65536, 'bytes'), measure('bytes read', 16384, 'bytes'), measure('extra', 1, 'x')]);
    assert.deepEqual(
      compareMeasurements(a, b).map((r) => [r.name, measurementText(r.a), measurementText(r.b), r.differs]),
      [
        ['F_GETPIPE_SZ', '65,536 bytes', '65,536 bytes', false],
        ['bytes read', '131,072 bytes', '16,384 bytes', true],
        ['extra', 'not measured', '1 x', true],
      ],
    );
  });
});

describe('alignTimelines', () => {
  test('a moment lands at the same x in both strips, whichever run is longer', () => {
    for (const [endA, endB] of [
      [1200, 300],
      [300, 1200],
      [5, 5000],
      [800, 800],
    ] as const) {
      const [a, b] = alignTimelines([endA, endB], 900, PAD);
      for (const t of [0, 1, 3.5, Math.min(endA, endB), Math.min(endA, endB) / 2]) {
        assert.ok(Math.abs(timeToX(t, a!.window, a!.width) - timeToX(t, b!.window, b!.width)) < 1e-9, `t=${t} ms with runs of ${endA} and ${endB} ms`);
      }
    }
  });

  test('with any side margin', () => {
    for (const pad of [0, 5, 30]) {
      const [a, b] = alignTimelines([700, 90], 500, pad);
      assert.ok(Math.abs(timeToX(60, a!.window, a!.width, pad) - timeToX(60, b!.window, b!.width, pad)) < 1e-9, `pad ${pad}`);
    }
  });

  test('the longer run fills the width; the shorter one ends where it ended', () => {
    const [long, short] = alignTimelines([2000, 500], 1000, PAD);
    assert.equal(long!.width, 1000);
    assert.ok(short!.width < long!.width, 'the shorter run is drawn on a narrower canvas');
    // Its own end sits at the same x as 500 ms on the longer run's strip, inside its canvas.
    const x = timeToX(500, long!.window, long!.width);
    assert.ok(x < short!.width, 'its last moment is on its canvas');
    assert.ok(Math.abs(timeToX(500, short!.window, short!.width) - x) < 1e-9, 'at the same x as on the longer strip');
    // And the margin after each run's end is the same length of time.
    assert.equal(long!.window.t1 - 2000, short!.window.t1 - 500);
  });

  test('a run with no events yet gets the left margin only, and a length of nothing never divides by zero', () => {
    const [empty, other] = alignTimelines([0, 1000], 600, PAD);
    assert.ok(empty!.width > 0 && empty!.width < 600, `width ${empty!.width}`);
    const [x, y] = alignTimelines([0, 0], 600, PAD);
    assert.ok(Number.isFinite(x!.width) && Number.isFinite(y!.width), 'finite widths');
    assert.equal(other!.width, 600);
  });
});
