/**
 * What a student has done on a step, from what is stored: the saved versions of their answers and the
 * step's runs. Nothing is mastered because Run was pressed with the defaults: mastery needs
 *   1. an answer (not a skip) to every question, saved before the step's first run;
 *   2. a run whose checks all passed;
 *   3. where the step declares a control, a run of it whose named checks failed, as they should.
 * Computed, never stored, so it cannot drift from the evidence it is computed from.
 */
import type { LabStep, ParamValues, RunSummary, SavedAnswer, StepMastery } from '../contract/lab-model.js';
import { runVariant, variantAsExpected } from '../contract/run-variant.js';

/** Whether a run was the step's control: it ran with every parameter the control variant sets. */
export function isControlRun(step: LabStep, params: ParamValues): boolean {
  return step.control !== null && runVariant(step, params)?.name === step.control;
}

/** Whether a control run came out as the control should: every check it names failed. */
export function controlAsExpected(step: LabStep, run: RunSummary): boolean {
  const variant = runVariant(step, run.params);
  return variant !== null && variant.name === step.control && variantAsExpected(variant, run);
}

/** `runs`: the step's runs in any order; `versions`: every saved version of its answers (event-store). */
export function stepMastery(step: LabStep, runs: RunSummary[], versions: SavedAnswer[]): StepMastery {
  const ordered = [...runs].sort((a, b) => a.runId - b.runId);
  const first = ordered[0];
  // The answers the first run tested: per question, the last version it locked.
  const beforeFirst = new Map(versions.filter((v) => first && v.lockedByRun === first.runId).map((v) => [v.questionId, v.value]));
  const predictedFirst = step.questions.length > 0 && step.questions.every((q) => beforeFirst.has(q.id) && beforeFirst.get(q.id) !== null);
  // Runs of the step as written: a variant's run (the control or another) has its own expected outcome.
  const ordinary = ordered.filter((r) => runVariant(step, r.params) === null);
  const passingRun = ordinary.find((r) => r.status === 'passed')?.runId ?? null;
  const controlRun = step.control === null ? null : (ordered.find((r) => controlAsExpected(step, r))?.runId ?? null);
  // One more hint after each failed run of the step (a variant failing as it says is no failure).
  const hintsShown = Math.min(step.hints.length, ordinary.filter((r) => r.status === 'failed').length);
  const mastered = predictedFirst && passingRun !== null && (step.control === null || controlRun !== null);
  const started = runs.length > 0 || versions.length > 0;
  return { status: mastered ? 'mastered' : started ? 'attempted' : 'not-started', predictedFirst, passingRun, controlRun, hintsShown };
}
