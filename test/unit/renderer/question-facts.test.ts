import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OrderQuestion } from '../../../main/contract/lab-model.js';
import { answerText, orderShown } from '../../../renderer/src/lib/state/question-facts.js';

const order = (id: string, n: number): OrderQuestion => ({
  id,
  type: 'order',
  prompt: 'In which order?',
  explanation: '',
  items: Array.from({ length: n }, (_, i) => ({ id: `i${i}`, text: `item ${i}` })),
});

describe('orderShown', () => {
  it('never shows the items in the right order before an answer, and the same way every time', () => {
    for (const n of [2, 3, 4, 5]) {
      for (const id of ['a', 'open-blocks', 'sequence', 'who-waits']) {
        const q = order(id, n);
        const shown = orderShown(q, undefined);
        assert.deepEqual([...shown].sort(), q.items.map((i) => i.id).sort(), 'every item once');
        assert.notDeepEqual(
          shown,
          q.items.map((i) => i.id),
          `${id} with ${n} items is shown in the right order`,
        );
        assert.deepEqual(orderShown(q, undefined), shown);
      }
    }
  });

  it("shows the student's order once given, and ignores a value that is not an order of its items", () => {
    const q = order('q', 3);
    assert.deepEqual(orderShown(q, ['i2', 'i0', 'i1']), ['i2', 'i0', 'i1']);
    assert.deepEqual(orderShown(q, ['i2']), orderShown(q, undefined));
    assert.equal(answerText(q, ['i1', 'i0', 'i2']), 'item 1 → item 0 → item 2');
    assert.equal(answerText(q, null), 'skipped');
  });
});
