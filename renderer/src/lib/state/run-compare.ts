/**
 * Two runs of a step side by side, as plain functions (tested under Node): their parameters, check
 * outcomes and measurements row by row, each row marked where the runs differ, and the geometry that
 * draws both timelines on one time scale with the existing painter.
 */
import type { CheckInfo, ParamSpec, ParamValues, RunSummary } from '../../../../main/contract/lab-model.js';
import type { StoredEvent, StoredEventOf } from '../../../../main/contract/trace-events.js';
import { checkRows } from './check-rows.js';
import { formatParamValue } from './run-facts.js';

export interface ParamCompareRow {
  name: string;
  label: string;
  unit: string | null;
  step: string;
  a: string;
  b: string;
  /** The two runs were made with different values. */
  differs: boolean;
  aChanged: boolean;
  bChanged: boolean;
}

export function compareParams(specs: readonly ParamSpec[], start: ParamValues, a: ParamValues, b: ParamValues): ParamCompareRow[] {
  const rows: ParamCompareRow[] = specs.map((spec) => ({
    name: spec.name,
    label: spec.label,
    unit: spec.type === 'integer' ? (spec.unit ?? null) : null,
    step: formatParamValue(start[spec.name]),
    a: formatParamValue(a[spec.name]),
    b: formatParamValue(b[spec.name]),
    differs: a[spec.name] !== b[spec.name],
    aChanged: spec.name in a && a[spec.name] !== start[spec.name],
    bChanged: spec.name in b && b[spec.name] !== start[spec.name],
  }));
  // Parameters the scenario no longer has (a run of an older version of the lab).
  for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (specs.some((s) => s.name === name)) continue;
    rows.push({
      name,
      label: name,
      unit: null,
      step: '–',
      a: formatParamValue(a[name]),
      b: formatParamValue(b[name]),
      differs: a[name] !== b[name],
      aChanged: name in a,
      bChanged: name in b,
    });
  }
  return rows;
}

export type CheckCell = { state: 'passed' | 'failed'; detail: string } | { state: 'not-checked'; detail: string };

export interface CheckCompareRow {
  id: string;
  title: string;
  a: CheckCell;
  b: CheckCell;
  differs: boolean;
}

function cells(checks: readonly CheckInfo[], run: RunSummary): Map<string, { title: string; cell: CheckCell }> {
  return new Map(
    checkRows(checks, run.checks, run.status).map((row) => [
      row.id,
      {
        title: row.title,
        cell:
          row.state === 'result' ? { state: row.result.passed ? 'passed' : 'failed', detail: row.result.detail } : { state: 'not-checked', detail: row.why },
      },
    ]),
  );
}

/** The step's checks, then any check only one run has, with each run's outcome. */
export function compareChecks(checks: readonly CheckInfo[], a: RunSummary, b: RunSummary): CheckCompareRow[] {
  const ca = cells(checks, a);
  const cb = cells(checks, b);
  const ids = [...new Set([...ca.keys(), ...cb.keys()])];
  return ids.map((id) => {
    const x = ca.get(id);
    const y = cb.get(id);
    const missing: CheckCell = { state: 'not-checked', detail: 'This run has no result for this check.' };
    const cellA = x?.cell ?? missing;
    const cellB = y?.cell ?? missing;
    return { id, title: x?.title ?? y?.title ?? id, a: cellA, b: cellB, differs: cellA.state !== cellB.state };
  });
}

export interface Measurement {
  name: string;
  /** The last value measured under this name (programs measure most things once). */
  value: number;
  unit: string;
  detail: string | null;
  role: string;
  /** How many times the run measured it. */
  count: number;
}

/** A run's `measure` events, one per name in the order first measured, each with its last value. */
export function measurementsOf(events: readonly StoredEvent[]): Measurement[] {
  const byName = new Map<string, Measurement>();
  for (const e of events) {
    if (e.kind !== 'measure') continue;
    const m = e as StoredEventOf<'measure'>;
    const seen = byName.get(m.name);
    byName.set(m.name, { name: m.name, value: m.value, unit: m.unit, detail: m.detail ?? seen?.detail ?? null, role: m.role, count: (seen?.count ?? 0) + 1 });
  }
  return [...byName.values()];
}

export interface MeasureCompareRow {
  name: string;
  a: Measurement | null;
  b: Measurement | null;
  differs: boolean;
}

export function compareMeasurements(a: readonly Measurement[], b: readonly Measurement[]): MeasureCompareRow[] {
  const names = [...new Set([...a.map((m) => m.name), ...b.map((m) => m.name)])];
  return names.map((name) => {
    const x = a.find((m) => m.name === name) ?? null;
    const y = b.find((m) => m.name === name) ?? null;
    return { name, a: x, b: y, differs: x === null || y === null || x.value !== y.value || x.unit !== y.unit };
  });
}

export function measurementText(m: Measurement | null): string {
  if (!m) return 'not measured';
  return `${m.value.toLocaleString('en-US')} ${m.unit}`.trim();
}

export interface TimelineStrip {
  /** The window painted (ms since that run's start). */
  window: { t0: number; t1: number };
  /** The canvas width, in CSS pixels: narrower for a shorter run, so that its axis ends where it ended. */
  width: number;
}

/** Room after the end of the longest run, as a share of its length (the lab page's timeline leaves 3 %). */
const END_MARGIN = 0.03;

/**
 * Timelines one above the other on one time scale: the longest run fills `width`; each other run gets a
 * canvas as much narrower as it was shorter, so a moment `t` lands at the same x in every strip. The
 * painter (trace-painter.ts) maps a window onto a canvas with `pad` pixels left and right:
 * x = pad + (t - t0) / (t1 - t0) * (width - 2 pad). `ends` are each run's length in ms.
 * (The painter is not imported here: it needs the DOM's types, and this runs under Node's tests too.)
 */
export function alignTimelines(ends: readonly number[], width: number, pad: number): TimelineStrip[] {
  const longest = Math.max(...ends.map((e) => (Number.isFinite(e) && e > 0 ? e : 0)), 1);
  const margin = longest * END_MARGIN;
  const full = longest + margin;
  const inner = Math.max(width - 2 * pad, 1);
  return ends.map((end) => {
    const t1 = Math.min((Number.isFinite(end) && end > 0 ? end : 0) + margin, full);
    return { window: { t0: 0, t1 }, width: 2 * pad + (inner * t1) / full };
  });
}
