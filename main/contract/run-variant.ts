/**
 * Which variant of its step a run ran, and whether it came out as the variant says: pure functions over
 * the contract's types, used by the engine (grading, mastery, reports, verify) and by the page (the
 * run's status and its history), so a run is a variant in one sense only.
 */
import type { LabStep, ParamValues, RunSummary } from './lab-model.js';

type Variant = LabStep['variants'][number];

/**
 * The variant of the step a run ran: one whose every parameter the run has, the control first, then in
 * the order the step lists them; null for a run of the step as written. Every variant takes away what
 * the step shows (it names checks that must then fail, labs/README.md), so its failures are the lesson.
 */
export function runVariant(step: Pick<LabStep, 'variants' | 'control'>, params: ParamValues): Variant | null {
  const ranIt = (v: Variant) => Object.entries(v.params).every(([name, value]) => params[name] === value);
  return step.variants.find((v) => v.name === step.control && ranIt(v)) ?? step.variants.find(ranIt) ?? null;
}

/** Whether a variant's run came out as the variant says: every check it names failed. */
export function variantAsExpected(variant: Variant, run: Pick<RunSummary, 'checks'>): boolean {
  return variant.fails.every((id) => run.checks.some((c) => c.id === id && !c.passed));
}
