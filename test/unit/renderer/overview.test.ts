import assert from 'node:assert/strict';
import { test } from 'node:test';
import { densityShade, overviewDensity, windowAt } from '../../../renderer/src/lib/trace/overview.js';
import type { TraceScene } from '../../../renderer/src/lib/trace/window-scene.js';

const scene = (marks: { t: number; count?: number }[][]): TraceScene => ({
  lanes: marks.map((_, index) => ({ pid: index + 1, role: 'p', index })),
  marks: marks.map((lane) => lane.map((m, i) => ({ t: m.t, kind: 'io' as const, seq: i + 1, label: null, ...(m.count ? { count: m.count } : {}) }))),
  bars: [],
  arrows: [],
  occupancy: [],
  endT: 100,
  openBars: () => [],
});

test('counts each lane’s marks per column, a summarised mark as many as it stands for, nothing outside the span', () => {
  const density = overviewDensity(scene([[{ t: 0 }, { t: 9.9 }, { t: 55 }, { t: 100 }], [{ t: 50, count: 400 }]]), 0, 100, 10);
  assert.deepEqual([...density[0]!], [2, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
  assert.deepEqual([...density[1]!], [0, 0, 0, 0, 0, 400, 0, 0, 0, 0]);
});

test('a column of one mark shows, the busiest is darkest, an empty one is blank', () => {
  assert.equal(densityShade(0, 1000), 0);
  assert.ok(densityShade(1, 1000) >= 0.25, 'one mark is visible');
  assert.equal(densityShade(1000, 1000), 1);
  assert.ok(densityShade(10, 1000) < densityShade(100, 1000), 'more is darker');
});

test('a click centres the window there, keeps its span, stays inside the run; a fitted one zooms to a tenth', () => {
  assert.deepEqual(windowAt(50, 100, 1000, { t0: 0, t1: 100 }), { t0: 450, t1: 550 });
  assert.deepEqual(windowAt(0, 100, 1000, { t0: 400, t1: 600 }), { t0: 0, t1: 200 });
  assert.deepEqual(windowAt(100, 100, 1000, { t0: 400, t1: 600 }), { t0: 800, t1: 1000 });
  assert.deepEqual(windowAt(25, 100, 1000, null), { t0: 200, t1: 300 });
});
