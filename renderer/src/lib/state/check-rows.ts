/**
 * What the checks list shows for a run: each of the step's checks with its result, or why it has none.
 * Checks only run on a run that ended by itself; on one that was stopped, timed out or ended with an
 * error the engine does not run them, and the list says so for every check (never "not checked yet",
 * and never a result that could be left over from before). Also where the views open after a run.
 */
import type { CheckInfo, CheckResult, RunStatus } from '../../../../main/contract/lab-model.js';

export type CheckRow = { id: string; title: string; state: 'result'; result: CheckResult } | { id: string; title: string; state: 'not-checked'; why: string };

/** Why a run of this status has no check results, or null when it should have them (or will). */
export function notCheckedReason(status: RunStatus | null): string | null {
  switch (status) {
    case null:
      return 'Not checked yet: run the step.';
    case 'starting':
    case 'running':
    case 'stopping':
      return 'Checked when the run ends.';
    case 'stopped':
      return 'Not checked: the run was stopped.';
    case 'timed-out':
      return 'Not checked: the run timed out.';
    case 'error':
      return 'Not checked: the run ended with an error.';
    case 'completed':
    case 'passed':
    case 'failed':
      return null;
  }
}

export function checkRows(checks: readonly CheckInfo[], results: readonly CheckResult[] | null, status: RunStatus | null): CheckRow[] {
  const why = notCheckedReason(status);
  // A stopped, timed-out or failed-to-run run has no results to show, whatever it carries.
  const shown = why === null ? (results ?? []) : [];
  const byId = new Map(shown.map((r) => [r.id, r]));
  const rows: CheckRow[] = checks.map((c) => {
    const result = byId.get(c.id);
    return result
      ? { id: c.id, title: result.title, state: 'result', result }
      : { id: c.id, title: c.title, state: 'not-checked', why: why ?? 'Not checked: the run has no result for this check.' };
  });
  for (const r of shown) if (!checks.some((c) => c.id === r.id)) rows.push({ id: r.id, title: r.title, state: 'result', result: r });
  return rows;
}

/**
 * Where the views open after a run: the `moment` of the first failing check that names one, else of
 * the first check that names one, else null (the latest view). A failing check's evidence is what the
 * student most needs to see.
 */
export function momentOfChecks(checks: readonly CheckResult[]): { ts: string; check: CheckResult } | null {
  const named = checks.filter((c) => typeof c.moment === 'string' && c.moment !== '');
  const check = named.find((c) => !c.passed) ?? named[0];
  return check ? { ts: check.moment!, check } : null;
}
