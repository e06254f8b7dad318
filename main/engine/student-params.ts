/**
 * Parameters randomised per student, so that two students' answers differ (a step's `randomise:`
 * block, labs/README.md).
 *
 * Each student has a seed: 128 random bits, made the first time a randomised step needs one and kept
 * in the store as a setting beside the student's identity. It is never changed or replaced: a
 * second engine on the same data folder that races to make one keeps the one stored first. A
 * student's value of a randomised parameter is a pure function of (seed, lab, step, parameter):
 * SHA-256 over the four, as a number, modulo the count of values the step lists. The same student
 * gets the same value in the app, on the command line and after a restart; another seed picks
 * independently for every parameter of every step.
 *
 * There is deliberately no option or environment variable to choose a seed: a student could pick the
 * one whose values they know. Two students on one machine are two data folders ($IPC_LAB_HOME).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { LabStep, ParamValue, ParamValues } from '../contract/lab-model.js';
import type { EventStore } from './event-store.js';

/** The settings key the seed is kept under (the identity is under "student"). */
export const STUDENT_SEED_SETTING = 'student-seed';

/** The student's seed (32 hex digits), made and stored the first time it is asked for. */
export function studentSeed(store: EventStore): string {
  return store.settingOnce(STUDENT_SEED_SETTING, randomBytes(16).toString('hex'));
}

/** The student's seed if one was ever made, else null; never makes one (a report or a verifier only reads). */
export function storedStudentSeed(store: EventStore): string | null {
  return store.setting(STUDENT_SEED_SETTING);
}

/** One pick: which of `values` the student with `seed` gets for this parameter of this step. */
export function pickValue(seed: string, labId: string, stepId: string, param: string, values: readonly ParamValue[]): ParamValue {
  if (values.length === 0) throw new Error(`no values to pick ${param} from`);
  // JSON keeps the four apart: ("a-b", "c") and ("a", "b-c") hash differently.
  const digest = createHash('sha256')
    .update(JSON.stringify([seed, labId, stepId, param]))
    .digest();
  return values[Number(digest.readBigUInt64BE(0) % BigInt(values.length))]!;
}

/** The student's value of every randomised parameter of a step (empty for a step with none). */
export function studentPicks(seed: string, labId: string, step: Pick<LabStep, 'id' | 'randomise'>): ParamValues {
  return Object.fromEntries(Object.entries(step.randomise).map(([name, values]) => [name, pickValue(seed, labId, step.id, name, values)]));
}

/**
 * The values a step starts from for the student whose store this is: the step's own, with their pick of
 * each randomised parameter over them (what labs.get gives as the step's params, and runs.start starts
 * from). A step that randomises nothing needs no seed and makes none.
 */
export function studentStepValues(store: EventStore, labId: string, step: Pick<LabStep, 'id' | 'params' | 'randomise'>): ParamValues {
  if (Object.keys(step.randomise).length === 0) return step.params;
  return { ...step.params, ...studentPicks(studentSeed(store), labId, step) };
}
