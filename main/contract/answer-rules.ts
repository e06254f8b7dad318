/**
 * What counts as an answer to a question, written once for the engine (which refuses anything else),
 * the command line and the page (which say so before sending).
 */
import type { AnswerValue, Question } from './lab-model.js';

/** Why `value` is not an answer to `question`, or undefined when it is (null, a skip, always is). */
export function answerProblem(question: Question, value: unknown): string | undefined {
  if (value === null) return undefined;
  const name = `question "${question.id}"`;
  switch (question.type) {
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `${name} takes a number in ${question.unit} (got ${JSON.stringify(value)})`;
    case 'text':
      if (typeof value !== 'string') return `${name} takes text (got ${JSON.stringify(value)})`;
      return value.length <= question.maxLength
        ? undefined
        : `${name} takes at most ${question.maxLength} characters (got ${value.length}): shorten the answer`;
    case 'choice': {
      const ids = question.options.map((o) => o.id);
      if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string'))
        return `${name} takes the ids of the chosen options (${ids.join(', ')})`;
      const unknown = value.find((v) => !ids.includes(v as string));
      if (unknown !== undefined) return `${name} has no option "${unknown}" (its options: ${ids.join(', ')})`;
      if (new Set(value).size !== value.length) return `${name}: an option is chosen twice`;
      if (!question.multiple && value.length > 1) return `${name} takes one option, not ${value.length}`;
      return undefined;
    }
    case 'order': {
      const ids = question.items.map((i) => i.id);
      const given = Array.isArray(value) ? (value as unknown[]) : [];
      const isPermutation = given.length === ids.length && new Set(given).size === ids.length && given.every((v) => ids.includes(v as string));
      return isPermutation ? undefined : `${name} takes every item once, in the order you expect (its items: ${ids.join(', ')})`;
    }
  }
}

/** An answer in words, as the student gave it: option and item texts, not their ids. */
export function answerText(question: Question, value: AnswerValue): string {
  if (value === null) return 'skipped';
  switch (question.type) {
    case 'number':
      return typeof value === 'number' ? `${value.toLocaleString('en-US')} ${question.unit}` : String(value);
    case 'text':
      return String(value);
    case 'choice':
      return (Array.isArray(value) ? value : []).map((id) => question.options.find((o) => o.id === id)?.text ?? id).join('; ');
    case 'order':
      return (Array.isArray(value) ? value : []).map((id) => question.items.find((i) => i.id === id)?.text ?? id).join(' → ');
  }
}
