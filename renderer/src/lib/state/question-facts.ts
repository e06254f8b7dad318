/**
 * Plain logic of the questions on the page, run by unit tests under Node.
 */
import type { AnswerValue, OrderQuestion } from '../../../../main/contract/lab-model.js';

export { answerText } from '../../../../main/contract/answer-rules.js';

/**
 * The order an order question shows its items in: the student's, once given; before that the items
 * shuffled (the same way every time for a question, so the page does not jump), never in the right order.
 */
export function orderShown(question: OrderQuestion, value: AnswerValue | undefined): string[] {
  const ids = question.items.map((i) => i.id);
  if (Array.isArray(value) && value.length === ids.length && ids.every((id) => value.includes(id))) return value;
  let seed = [...question.id].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0, 7);
  const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % 2 ** 16) / 2 ** 16;
  const shuffled = [...ids];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  // Shown in the right order, the question would answer itself: turn it one place.
  return shuffled.every((id, i) => id === ids[i]) ? [...shuffled.slice(1), shuffled[0]!] : shuffled;
}
