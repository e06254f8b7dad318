/**
 * What the run history says about a run, as plain functions (tested under Node): which parameters
 * differ from the step's starting values, when the run was, how long it took, how many checks held.
 */
import type { ParamSpec, ParamValue, ParamValues, RunSummary } from '../../../../main/contract/lab-model.js';
import { formatDurationMs, isFinal } from '../format.js';

/** The values a step starts from: the scenario's defaults with the step's own values over them. */
export function startingValues(specs: readonly ParamSpec[], stepParams: ParamValues): ParamValues {
  const values: ParamValues = {};
  for (const spec of specs) values[spec.name] = stepParams[spec.name] ?? spec.default;
  return values;
}

/**
 * The names of the parameters whose value in `params` differs from `start`, in the scenario's order,
 * then any the scenario no longer has (a run made with an older version of the lab).
 */
export function changedParams(specs: readonly ParamSpec[], start: ParamValues, params: ParamValues): string[] {
  const changed = specs.filter((s) => s.name in params && params[s.name] !== start[s.name]).map((s) => s.name);
  for (const name of Object.keys(params)) if (!specs.some((s) => s.name === name)) changed.push(name);
  return changed;
}

export interface ParamChip {
  name: string;
  label: string;
  value: string;
  changed: boolean;
  /** The step's value, when this one differs from it (null for a parameter the scenario no longer has). */
  stepValue: string | null;
}

export function formatParamValue(value: ParamValue | undefined): string {
  return value === undefined ? '–' : String(value);
}

/** A run's parameters in the scenario's order, each marked when it differs from the step's. */
export function paramChips(specs: readonly ParamSpec[], start: ParamValues, params: ParamValues): ParamChip[] {
  const changed = new Set(changedParams(specs, start, params));
  const chips: ParamChip[] = specs
    .filter((s) => s.name in params)
    .map((s) => ({
      name: s.name,
      label: s.label,
      value: formatParamValue(params[s.name]),
      changed: changed.has(s.name),
      stepValue: changed.has(s.name) ? formatParamValue(start[s.name]) : null,
    }));
  for (const name of Object.keys(params))
    if (!specs.some((s) => s.name === name)) chips.push({ name, label: name, value: formatParamValue(params[name]), changed: true, stepValue: null });
  return chips;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function clock(date: Date): string {
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/**
 * When a run started, in local time: relative for today ("just now", "5 min ago", "2 h ago"), then
 * "yesterday 16:40", "1 Dec 16:40", and with the year when it is not this one ("1 Dec 2025 16:40").
 */
export function whenText(startedAt: string, now: Date): string {
  const date = new Date(startedAt);
  if (Number.isNaN(date.getTime())) return '–';
  const ago = now.getTime() - date.getTime();
  if (sameDay(date, now) && ago >= -60_000) {
    if (ago < 60_000) return 'just now';
    if (ago < 3_600_000) return `${Math.floor(ago / 60_000)} min ago`;
    return `${Math.floor(ago / 3_600_000)} h ago`;
  }
  const yesterday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1);
  if (sameDay(date, yesterday)) return `yesterday ${clock(date)}`;
  const year = date.getFullYear() === now.getFullYear() ? '' : ` ${date.getFullYear()}`;
  return `${date.getDate()} ${MONTHS[date.getMonth()]}${year} ${clock(date)}`;
}

/** The full local date and time, for a tooltip: "2 Dec 2026 14:03:07". */
export function fullTimeText(startedAt: string): string {
  const date = new Date(startedAt);
  if (Number.isNaN(date.getTime())) return startedAt;
  return `${date.getDate()} ${MONTHS[date.getMonth()]} ${date.getFullYear()} ${clock(date)}:${String(date.getSeconds()).padStart(2, '0')}`;
}

/** How long a run took (wall clock), or has taken so far while it goes on. */
export function durationText(run: Pick<RunSummary, 'startedAt' | 'endedAt' | 'status'>, nowMs: number): string {
  const start = Date.parse(run.startedAt);
  if (Number.isNaN(start)) return '–';
  if (run.endedAt) return formatDurationMs(Math.max(0, Date.parse(run.endedAt) - start));
  if (!isFinal(run.status)) return `${formatDurationMs(Math.max(0, nowMs - start))} so far`;
  return '–'; // ended, but its end was not recorded
}

export type ChecksState = 'pending' | 'not-run' | 'none' | 'all' | 'some';

/** How many of a run's checks held: "2/3", or why there is no count. */
export function checksSummary(run: Pick<RunSummary, 'status' | 'checks'>): { state: ChecksState; text: string; passed: number; total: number } {
  const total = run.checks.length;
  const passed = run.checks.filter((c) => c.passed).length;
  if (!isFinal(run.status)) return { state: 'pending', text: 'when it ends', passed, total };
  if (run.status === 'stopped' || run.status === 'timed-out' || run.status === 'error') return { state: 'not-run', text: 'not run', passed, total };
  if (total === 0) return { state: 'none', text: 'no checks', passed, total };
  return { state: passed === total ? 'all' : 'some', text: `${passed}/${total}`, passed, total };
}

/**
 * The run bar's line about the checks, in words: "2 of 3 checks passed", "running…", "not run yet"
 * (no run of the step on screen). Counts come from `checksSummary`.
 */
export function checksLine(run: Pick<RunSummary, 'status' | 'checks'> | null): string {
  if (!run) return 'not run yet';
  const summary = checksSummary(run);
  switch (summary.state) {
    case 'pending':
      return run.status === 'starting' ? 'starting…' : run.status === 'stopping' ? 'stopping…' : 'running…';
    case 'not-run':
      return 'checks not run';
    case 'none':
      return 'no checks in this step';
    case 'all':
    case 'some':
      return `${summary.passed} of ${summary.total} check${summary.total === 1 ? '' : 's'} passed`;
  }
}
