import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnswerValue, CheckResult, ChoiceQuestion, NumberQuestion, OrderQuestion, TextQuestion } from '../../../main/contract/lab-model.js';
import { answerProblem } from '../../../main/contract/answer-rules.js';
import { gradeAnswer, gradeRun } from '../../../main/engine/grading.js';

const capacity: NumberQuestion = {
  id: 'bytes-before-block',
  type: 'number',
  prompt: 'How many bytes go in before a write blocks?',
  explanation: 'Sixteen slots of a page.',
  unit: 'bytes',
  expected: { measurement: 'capacity-bytes' },
  right: { absolute: 0 },
  close: { relative: 0.05 },
};
const measured = (value: number) => [{ id: 'capacity-bytes', value, unit: 'bytes' }];

const state: ChoiceQuestion = {
  id: 'blocked-state',
  type: 'choice',
  prompt: 'What is the blocked writer doing?',
  explanation: 'It sleeps in the kernel.',
  multiple: false,
  options: [
    { id: 'a', text: 'Sleeping', correct: true, why: null },
    { id: 'b', text: 'Spinning', correct: false, why: 'A blocked call sleeps: it is off the CPU until woken.' },
  ],
};
const signs: ChoiceQuestion = {
  ...state,
  id: 'signs',
  multiple: true,
  options: [
    { id: 'a', text: 'State S', correct: true, why: null },
    { id: 'b', text: 'wchan pipe_write', correct: true, why: null },
    { id: 'c', text: 'CPU time rising', correct: false, why: 'A sleeping process uses no CPU.' },
  ],
};
const order: OrderQuestion = {
  id: 'order',
  type: 'order',
  prompt: 'In which order?',
  explanation: 'Open blocks until both ends are there.',
  items: [
    { id: 'open', text: 'open' },
    { id: 'block', text: 'block' },
    { id: 'wake', text: 'wake' },
  ],
};
const note: TextQuestion = { id: 'note', type: 'text', prompt: 'Why?', explanation: 'Because.', maxLength: 10 };

describe('gradeAnswer: numbers against a measurement', () => {
  it('is right within the right tolerance, close within the close one, wrong beyond, and says by how much', () => {
    assert.equal(gradeAnswer(capacity, 64000, measured(64000)).verdict, 'right');
    const close = gradeAnswer(capacity, 65536, measured(64000));
    assert.equal(close.verdict, 'close');
    assert.equal(close.expected, 64000);
    assert.equal(close.feedback, 'You predicted 65,536 bytes; this run measured 64,000 bytes: 1,536 bytes (2.4%) off.');
    assert.equal(gradeAnswer(capacity, 4096, measured(64000)).verdict, 'wrong');
    // The edge of a tolerance is inside it, also for decimal fractions that binary cannot hold exactly.
    assert.equal(gradeAnswer({ ...capacity, right: { relative: 0.1 }, close: null }, 1.1, measured(1)).verdict, 'right');
    assert.equal(gradeAnswer({ ...capacity, right: { absolute: 0.1 }, close: null }, 1.1, measured(1)).verdict, 'right');
    assert.equal(gradeAnswer({ ...capacity, right: { absolute: 0.1 }, close: null }, 1.2, measured(1)).verdict, 'wrong');
  });

  it('says a unit in the singular for one of it', () => {
    const processes = { ...capacity, unit: 'processes', expected: { value: 1 } };
    assert.equal(gradeAnswer(processes, 1, []).feedback, 'You predicted 1 process; the answer is 1 process.');
    assert.match(gradeAnswer({ ...capacity, unit: 'writes', expected: { value: 2 } }, 1, []).feedback, /^You predicted 1 write; the answer is 2 writes/);
    assert.match(gradeAnswer({ ...capacity, unit: 'ms', expected: { value: 1 } }, 1, []).feedback, /1 ms; the answer is 1 ms/);
  });

  it('grades against a fixed value when the question names one', () => {
    const pipeBuf = { ...capacity, expected: { value: 4096 }, close: null };
    assert.equal(gradeAnswer(pipeBuf, 4096, []).verdict, 'right');
    assert.match(gradeAnswer(pipeBuf, 4000, []).feedback, /the answer is 4,096 bytes: 96 bytes \(2\.3%\) off/);
  });

  it('has nothing to compare with when the run did not measure it, and says so rather than marking it wrong', () => {
    const grade = gradeAnswer(capacity, 64000, []);
    assert.equal(grade.verdict, 'no-measurement');
    assert.equal(grade.expected, null);
  });
});

describe('gradeAnswer: choices, orders, text, skips', () => {
  it('a wrong choice says the misconception it reveals', () => {
    assert.equal(gradeAnswer(state, ['a'], []).verdict, 'right');
    const wrong = gradeAnswer(state, ['b'], []);
    assert.equal(wrong.verdict, 'wrong');
    assert.deepEqual(wrong.expected, ['a']);
    assert.match(wrong.feedback, /The right answer is "Sleeping"\. "Spinning": A blocked call sleeps/);
  });

  it('several right options: all of them is right, some of them and nothing wrong is close', () => {
    assert.equal(gradeAnswer(signs, ['b', 'a'], []).verdict, 'right');
    assert.equal(gradeAnswer(signs, ['a'], []).verdict, 'close');
    assert.equal(gradeAnswer(signs, ['a', 'b', 'c'], []).verdict, 'wrong');
  });

  it('an order is right as it happens, close with one pair swapped, wrong with more', () => {
    assert.equal(gradeAnswer(order, ['open', 'block', 'wake'], []).verdict, 'right');
    assert.equal(gradeAnswer(order, ['block', 'open', 'wake'], []).verdict, 'close');
    const wrong = gradeAnswer(order, ['wake', 'block', 'open'], []);
    assert.equal(wrong.verdict, 'wrong');
    assert.match(wrong.feedback, /^3 pairs are the other way round; the order is open → block → wake\.$/);
  });

  it('text is not graded; a skip and no answer are told apart; every grade carries the explanation', () => {
    assert.equal(gradeAnswer(note, 'because', []).verdict, 'not-graded');
    assert.equal(gradeAnswer(note, null, []).verdict, 'skipped');
    assert.equal(gradeAnswer(capacity, undefined, measured(1)).verdict, 'unanswered');
    assert.equal(gradeAnswer(capacity, undefined, measured(1)).explanation, 'Sixteen slots of a page.');
  });
});

describe('gradeRun', () => {
  it("grades each question against the measurements of the run's checks", () => {
    const checks: CheckResult[] = [
      { id: 'blocked', title: 'Blocked', passed: true, detail: '', hint: '', moment: null },
      { id: 'capacity', title: 'Capacity', passed: true, detail: '', hint: '', moment: null, measurements: measured(48000) },
    ];
    const grades = gradeRun(
      [capacity, state, note],
      new Map<string, AnswerValue>([
        ['bytes-before-block', 48000],
        ['blocked-state', ['b']],
      ]),
      checks,
    );
    assert.deepEqual(
      grades.map((g) => [g.questionId, g.verdict]),
      [
        ['bytes-before-block', 'right'],
        ['blocked-state', 'wrong'],
        ['note', 'unanswered'],
      ],
    );
  });

  it('sets the answers aside on a run of a variant (the control or another), whatever it measured; a skip, a missing answer and a text stay as they are', () => {
    const checks: CheckResult[] = [{ id: 'capacity', title: 'Capacity', passed: true, detail: '', hint: '', moment: null, measurements: measured(48000) }];
    const answers = new Map<string, AnswerValue>([
      ['bytes-before-block', 48000],
      ['blocked-state', ['a']],
      ['signs', null],
      ['note', 'it waits'],
    ]);
    const grades = gradeRun([capacity, state, signs, order, note], answers, checks, {}, 'less data than the pipe holds');
    assert.deepEqual(
      grades.map((g) => [g.questionId, g.verdict, g.expected]),
      [
        ['bytes-before-block', 'variant', null],
        ['blocked-state', 'variant', null],
        ['signs', 'skipped', null],
        ['order', 'unanswered', null],
        ['note', 'not-graded', null],
      ],
    );
    assert.match(grades[0]!.feedback, /a variant of the step \(less data than the pipe holds\).*graded by a run of the step as written/);
    assert.deepEqual(
      gradeRun([capacity], answers, checks, {}, null).map((g) => g.verdict),
      ['right'],
      'the step as written: graded as usual',
    );
  });
});

describe('answerProblem', () => {
  it('names the question and what it takes', () => {
    assert.equal(answerProblem(capacity, 1), undefined);
    assert.equal(answerProblem(capacity, null), undefined, 'a skip is always an answer');
    assert.equal(answerProblem(capacity, '64000'), 'question "bytes-before-block" takes a number in bytes (got "64000")');
    assert.equal(answerProblem(capacity, Number.NaN), 'question "bytes-before-block" takes a number in bytes (got null)');
    assert.equal(answerProblem(state, ['z']), 'question "blocked-state" has no option "z" (its options: a, b)');
    assert.equal(answerProblem(state, ['a', 'b']), 'question "blocked-state" takes one option, not 2');
    assert.equal(answerProblem(signs, ['a', 'a']), 'question "signs": an option is chosen twice');
    assert.match(answerProblem(state, [])!, /takes the ids of the chosen options \(a, b\)/);
    assert.equal(answerProblem(order, ['open', 'wake', 'block']), undefined);
    assert.match(answerProblem(order, ['open', 'open', 'wake'])!, /takes every item once/);
    assert.match(answerProblem(note, 'far too long for it')!, /at most 10 characters \(got 19\): shorten/);
  });
});

describe('gradeRun: answers that depend on the run’s parameters', () => {
  const permits: NumberQuestion = {
    id: 'permits',
    type: 'number',
    prompt: 'With {slots} slots, what does "empty slots" start at?',
    explanation: '{slots}, one per slot; {slots - 1} after the first put.',
    unit: 'permits',
    expected: { formula: 'slots' },
    right: { absolute: 0 },
    close: null,
  };
  const which: ChoiceQuestion = {
    ...state,
    id: 'which',
    prompt: 'With {slots} slots?',
    options: [
      { id: 'a', text: 'At most {slots}', correct: true, why: null },
      { id: 'b', text: 'More than {slots}', correct: false, why: 'Never more than {slots}.' },
    ],
  };

  it("works out a formula answer from the run's own parameters: each student's run, its own answer", () => {
    for (const slots of [3, 6]) {
      const [grade] = gradeRun([permits], new Map([['permits', slots]]), [], { slots, items: 20 });
      assert.deepEqual(
        [grade!.verdict, grade!.expected, grade!.feedback, grade!.explanation],
        ['right', slots, `You predicted ${slots} permits; the answer is ${slots} permits.`, `${slots}, one per slot; ${slots - 1} after the first put.`],
      );
    }
    const [wrong] = gradeRun([permits], new Map([['permits', 4]]), [], { slots: 3 });
    assert.equal(wrong!.verdict, 'wrong');
    assert.equal(wrong!.expected, 3);
  });

  it('fills the templates of choice feedback too, and without the parameters leaves a formula ungraded', () => {
    const [grade] = gradeRun([which], new Map([['which', ['b']]]), [], { slots: 5 });
    assert.equal(grade!.feedback, 'The right answer is "At most 5". "More than 5": Never more than 5.');
    const [unknown] = gradeRun([permits], new Map([['permits', 4]]), []);
    assert.deepEqual([unknown!.verdict, unknown!.expected], ['no-measurement', null]);
    assert.match(unknown!.feedback, /depends on the run's parameters, which were not given/);
    assert.equal(unknown!.explanation, permits.explanation, 'nothing to fill it with: as written');
  });
});
