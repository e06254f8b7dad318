/**
 * Grades a student's answers against what a run measured: predict, observe, compare. A number is
 * compared with a measurement one of the step's checks read off this run's trace (or a fixed value),
 * within the question's tolerances; a choice with its right options; an order with the order things
 * happen in. A text answer is not graded: it is shown back beside what happened.
 *
 * Pure functions over the contract's types: the engine grades a run with them, and a report's verifier
 * can re-grade the answers it carries from the measurements it carries.
 */
import type { AnswerValue, CheckResult, Grade, Measurement, ParamValues, Question, SavedAnswer, Tolerance } from '../contract/lab-model.js';
import { fillQuestion, templateNumber } from '../contract/param-template.js';

/**
 * Grades each question of a step: its answer (undefined when none was given) against the run's checks'
 * measurements. `params`, the run's parameters, fill the questions' templates ({slots}) and give the
 * answer of a question whose fixed answer is a formula over them; without them such a question has
 * nothing to be compared with (no-measurement) and its texts stay as written.
 *
 * `variant`: the name of the step's variant the run ran, its control or another
 * (main/contract/run-variant.ts). The questions ask about the step as written, and a variant takes away
 * what they ask about: an answer is not compared with such a run (it would be "right" about a
 * phenomenon the run did not show, or "wrong" for predicting the lesson), it is set aside (verdict
 * `variant`) for a run without it.
 */
export function gradeRun(
  questions: Question[],
  answers: ReadonlyMap<string, AnswerValue>,
  checks: CheckResult[],
  params?: ParamValues,
  variant?: string | null,
): Grade[] {
  const measurements = checks.flatMap((c) => c.measurements ?? []);
  return questions.map((q) => {
    const question = params ? fillQuestion(q, params) : q;
    const answer = answers.has(q.id) ? answers.get(q.id)! : undefined;
    if (variant && answer !== undefined && answer !== null && question.type !== 'text')
      return {
        questionId: q.id,
        explanation: question.explanation,
        verdict: 'variant',
        answer,
        expected: null,
        feedback: `This run was a variant of the step (${variant}): it takes away what the question asks about, so your answer is graded by a run of the step as written.`,
      };
    return gradeAnswer(question, answer, measurements, params);
  });
}

/** A lab's quiz graded: the last saved version of each answer against the quiz's fixed answers (no run, no measurements). */
export function gradeQuiz(quiz: Question[], versions: readonly SavedAnswer[]): Grade[] {
  return gradeRun(quiz, new Map(versions.map((v) => [v.questionId, v.value])), []);
}

/** One question's grade; `answer` undefined: nothing was answered before the run. */
export function gradeAnswer(question: Question, answer: AnswerValue | undefined, measurements: Measurement[], params?: ParamValues): Grade {
  const base = { questionId: question.id, explanation: question.explanation };
  if (answer === undefined) return { ...base, verdict: 'unanswered', answer: null, expected: null, feedback: 'No answer was given before the run.' };
  if (answer === null) return { ...base, verdict: 'skipped', answer: null, expected: null, feedback: 'You skipped this question.' };
  switch (question.type) {
    case 'text':
      return { ...base, verdict: 'not-graded', answer, expected: null, feedback: 'Your answer, beside what this run showed.' };
    case 'number':
      return gradeNumber(question, answer as number, measurements, params, base);
    case 'choice':
      return gradeChoice(question, answer as string[], base);
    case 'order':
      return gradeOrder(question, answer as string[], base);
  }
}

type GradeBase = Pick<Grade, 'questionId' | 'explanation'>;

function gradeNumber(
  question: Extract<Question, { type: 'number' }>,
  answer: number,
  measurements: Measurement[],
  params: ParamValues | undefined,
  base: GradeBase,
): Grade {
  const said = `You predicted ${amount(answer, question.unit)}`;
  const target = question.expected;
  const fixed = !('measurement' in target);
  const expected =
    'value' in target
      ? target.value
      : 'formula' in target
        ? params && templateNumber(target.formula, params)
        : measurements.find((m) => m.id === target.measurement)?.value;
  if (expected === undefined)
    return {
      ...base,
      verdict: 'no-measurement',
      answer,
      expected: null,
      feedback: fixed
        ? `${said}; the answer depends on the run's parameters, which were not given, so there is nothing to compare with.`
        : `${said}; this run did not measure it, so there is nothing to compare with yet (the checks say what the run showed).`,
    };
  const compared = `${said}; ${fixed ? 'the answer is' : 'this run measured'} ${amount(expected, question.unit)}`;
  const off = Math.abs(answer - expected);
  if (within(off, expected, question.right)) return { ...base, verdict: 'right', answer, expected, feedback: `${compared}.` };
  const howFar = expected === 0 ? `${amount(off, question.unit)} off` : `${amount(off, question.unit)} (${percent(off / Math.abs(expected))}) off`;
  const verdict = question.close && within(off, expected, question.close) ? 'close' : 'wrong';
  return { ...base, verdict, answer, expected, feedback: `${compared}: ${howFar}.` };
}

function gradeChoice(question: Extract<Question, { type: 'choice' }>, chosen: string[], base: GradeBase): Grade {
  const right = question.options.filter((o) => o.correct).map((o) => o.id);
  const wrongChosen = question.options.filter((o) => !o.correct && chosen.includes(o.id));
  const missed = right.filter((id) => !chosen.includes(id));
  const textOf = (ids: string[]) => ids.map((id) => `"${question.options.find((o) => o.id === id)!.text}"`).join(', ');
  if (wrongChosen.length === 0 && missed.length === 0)
    return { ...base, verdict: 'right', answer: chosen, expected: right, feedback: `You chose ${textOf(chosen)}.` };
  if (wrongChosen.length === 0)
    return { ...base, verdict: 'close', answer: chosen, expected: right, feedback: `Everything you chose is right, but ${textOf(missed)} is right too.` };
  const whys = wrongChosen.map((o) => (o.why ? `${textOf([o.id])}: ${o.why}` : textOf([o.id]))).join(' ');
  return {
    ...base,
    verdict: 'wrong',
    answer: chosen,
    expected: right,
    feedback: `The right ${right.length > 1 ? 'answers are' : 'answer is'} ${textOf(right)}. ${whys}`,
  };
}

function gradeOrder(question: Extract<Question, { type: 'order' }>, given: string[], base: GradeBase): Grade {
  const expected = question.items.map((i) => i.id);
  const position = new Map(expected.map((id, i) => [id, i]));
  // Pairs the answer puts the other way round (the Kendall tau distance): one swap of neighbours is close.
  let inverted = 0;
  for (let i = 0; i < given.length; i++) for (let j = i + 1; j < given.length; j++) if (position.get(given[i]!)! > position.get(given[j]!)!) inverted++;
  const order = question.items.map((i) => i.text).join(' → ');
  if (inverted === 0) return { ...base, verdict: 'right', answer: given, expected, feedback: `That is the order: ${order}.` };
  return {
    ...base,
    verdict: inverted === 1 ? 'close' : 'wrong',
    answer: given,
    expected,
    feedback: `${inverted === 1 ? 'One pair is the other way round' : `${inverted} pairs are the other way round`}; the order is ${order}.`,
  };
}

function within(off: number, expected: number, tolerance: Tolerance): boolean {
  // A hair of slack for binary fractions (0.1 + 0.2): tolerances are written in decimal.
  const limit = 'absolute' in tolerance ? tolerance.absolute : tolerance.relative * Math.abs(expected);
  return off <= limit + 1e-9 * Math.max(1, Math.abs(expected));
}

function amount(value: number, unit: string): string {
  return `${value.toLocaleString('en-US', { maximumFractionDigits: 3 })} ${value === 1 ? singular(unit) : unit}`;
}

/** "1 process", "1 write", "1 byte"; units of time (ms, µs) and others not ending in a plural s stay. */
function singular(unit: string): string {
  if (/^[mµun]?s$/.test(unit) || !unit.endsWith('s')) return unit;
  return unit.endsWith('sses') ? unit.slice(0, -2) : unit.slice(0, -1);
}

function percent(fraction: number): string {
  return `${(fraction * 100).toLocaleString('en-US', { maximumFractionDigits: 1 })}%`;
}
