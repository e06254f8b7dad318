/**
 * Runs a step's checks over a trace: at the end of a run (lab-run.ts), when a report picks the events
 * its checks need (main/report/), and when `verify` re-runs them over a report's evidence. One function,
 * so the three can only agree or disagree on the evidence, never on how a check's outcome is read.
 * It runs inside the check worker (check-worker.ts); the host calls check-runner.ts.
 */
import type { CheckResult, Measurement } from '../contract/lab-model.js';
import type { CheckDefinition, CheckOutcome, RunTrace } from './check-kit.js';
import { measuredChartsOf } from './check-charts.js';

export interface NamedCheck {
  id: string;
  definition: CheckDefinition;
}

export function runChecks(checks: NamedCheck[], trace: RunTrace): CheckResult[] {
  return checks.map(({ id, definition }) => {
    try {
      const outcome = definition.check(trace);
      const measurements = measurementsOf(id, definition, outcome);
      const charts = measuredChartsOf(id, definition, outcome);
      return {
        id,
        title: definition.title,
        passed: outcome.passed,
        detail: outcome.detail,
        hint: outcome.hint ?? definition.hint,
        moment: outcome.moment ?? null,
        // Left out when empty: results stored before checks measured anything stay word for word the same.
        ...(measurements.length > 0 ? { measurements } : {}),
        ...(charts.length > 0 ? { charts } : {}),
      };
    } catch (error) {
      return {
        id,
        title: definition.title,
        passed: false,
        detail: `The check itself failed: ${(error as Error).message}`,
        hint: "This is a bug in the lab's checks.ts.",
        moment: null,
      };
    }
  });
}

/** The outcome's measurements with their declared units; one the definition does not declare is the check's bug. */
function measurementsOf(checkId: string, definition: CheckDefinition, outcome: CheckOutcome): Measurement[] {
  return Object.entries(outcome.measurements ?? {}).map(([id, value]) => {
    const declared = definition.measures?.[id];
    if (!declared) throw new Error(`check "${checkId}" measured "${id}", which its measures: does not declare`);
    if (!Number.isFinite(value)) throw new Error(`check "${checkId}" measured ${id} = ${value}, which is not a number`);
    return { id, value, unit: declared.unit };
  });
}
