/**
 * Runs a step's checks over a trace: at the end of a run (lab-run.ts), when a report picks the events
 * its checks need (main/report/), and when `verify` re-runs them over a report's evidence. One function,
 * so the three can only agree or disagree on the evidence, never on how a check's outcome is read.
 */
import type { CheckResult } from '../contract/lab-model.js';
import type { CheckDefinition, RunTrace } from './check-kit.js';

export interface NamedCheck {
  id: string;
  definition: CheckDefinition;
}

export function runChecks(checks: NamedCheck[], trace: RunTrace): CheckResult[] {
  return checks.map(({ id, definition }) => {
    try {
      const outcome = definition.check(trace);
      return {
        id,
        title: definition.title,
        passed: outcome.passed,
        detail: outcome.detail,
        hint: outcome.hint ?? definition.hint,
        moment: outcome.moment ?? null,
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
