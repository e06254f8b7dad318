import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Question } from '../../../main/contract/lab-model.js';
import {
  fillQuestion,
  fillStep,
  fillTemplates,
  parseTemplate,
  templateNames,
  templateNumber,
  templateProblem,
  templatesIn,
} from '../../../main/contract/param-template.js';

const specs = [
  { name: 'slots', type: 'integer' },
  { name: 'fastItems', type: 'integer' },
  { name: 'semantics', type: 'choice' },
] as const;

describe('parameter templates', () => {
  it('finds {name} and small arithmetic, and leaves other braces as text', () => {
    const text = "With {slots} slots, {fastItems - slots} wait; call `bank.deposit({ account: 'alice' })`, {not a: template}, {42}.";
    assert.deepEqual(
      templatesIn(text).map((t) => t.expression),
      ['slots', 'fastItems - slots'],
    );
  });

  it('fills templates with the values given, and keeps one without a value as written', () => {
    assert.equal(
      fillTemplates('{slots} slots, {fastItems - slots} waits, {semantics}', { slots: 4, fastItems: 10, semantics: 'at-most-once' }),
      '4 slots, 6 waits, at-most-once',
    );
    assert.equal(fillTemplates('{slots} and {missing}', { slots: 3 }), '3 and {missing}');
    assert.equal(fillTemplates('no braces here', {}), 'no braces here');
  });

  it('evaluates + - * and whole-number / with the usual precedence, as C does for integers', () => {
    const at = (expression: string, params = { n: 21, k: 4 }) => templateNumber(expression, params);
    assert.equal(at('n / 2'), 10, '21 / 2 is 10: a client that stops halfway through 21 messages sent 10');
    assert.equal(at('n / 2 + 1'), 11);
    assert.equal(at('2 + 3 * k'), 14);
    assert.equal(at('(2 + 3) * k'), 20);
    assert.equal(at('k - n'), -17);
    assert.equal(at('-k * 2'), -8);
    assert.equal(at('n / (k - 4)'), undefined, 'a division by zero has no value');
    assert.equal(at('missing + 1'), undefined);
    assert.equal(templateNumber('mode', { mode: 'fast' }), undefined, 'a choice is no number');
  });

  it('says what is wrong with a template that does not parse', () => {
    assert.throws(() => parseTemplate('slots +'), /\{slots \+\}: it ends where a number or a parameter name should come/);
    assert.throws(() => parseTemplate('(slots'), /a "\(" is not closed/);
    assert.throws(() => parseTemplate('slots items'), /"items" is not expected there/);
    assert.deepEqual(templateNames(parseTemplate('a * (b - a) + 2')), ['a', 'b']);
  });

  it('refuses names the scenario does not have, and arithmetic on a parameter that is not a number', () => {
    assert.equal(templateProblem('fastItems - slots', specs), undefined);
    assert.equal(templateProblem('semantics', specs), undefined, 'a bare choice is text');
    assert.match(
      templateProblem('slot', specs)!,
      /\{slot\} names "slot", which is not a parameter of the scenario \(its parameters: slots, fastItems, semantics\)/,
    );
    assert.match(templateProblem('semantics * 2', specs)!, /does arithmetic with "semantics", which is not a whole number/);
    assert.match(templateProblem('semantics', specs, true)!, /is "semantics", which is not a whole number/);
    assert.match(templateProblem('slots +', specs)!, /it ends where/);
  });

  it('fills every text of a question and a step, and nothing else', () => {
    const choice: Question = {
      id: 'c',
      type: 'choice',
      prompt: 'With {slots} slots?',
      explanation: 'Because {slots}.',
      multiple: false,
      options: [
        { id: 'a', text: '{slots}', correct: true, why: null },
        { id: 'b', text: 'More than {slots}', correct: false, why: 'Never more than {slots}.' },
      ],
    };
    assert.deepEqual(fillQuestion(choice, { slots: 5 }), {
      ...choice,
      prompt: 'With 5 slots?',
      explanation: 'Because 5.',
      options: [
        { id: 'a', text: '5', correct: true, why: null },
        { id: 'b', text: 'More than 5', correct: false, why: 'Never more than 5.' },
      ],
    });
    const number: Question = {
      id: 'n',
      type: 'number',
      prompt: '{slots}?',
      explanation: 'E',
      unit: 'permits',
      expected: { formula: 'slots' },
      right: { absolute: 0 },
      close: null,
    };
    assert.deepEqual(fillQuestion(number, { slots: 3 }).expected, { formula: 'slots' }, 'the formula stays a formula: grading works it out');
    const step = fillStep({ body: 'Writes of {chunkBytes} bytes.', hints: ['{chunkBytes}?'], questions: [number] }, { chunkBytes: 1500, slots: 3 });
    assert.deepEqual([step.body, step.hints, step.questions[0]!.prompt], ['Writes of 1500 bytes.', ['1500?'], '3?']);
  });
});
