/**
 * The kernel view's folds: which processes start open (all when few, else the ones the checks'
 * evidence is about, else the first), and the words of a folded process's summary line.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countText, OPEN_ALL_UP_TO, openByDefault } from '../../../renderer/src/lib/state/kernel-folds.js';

test('every process starts open when there are few, whatever the evidence names', () => {
  assert.deepEqual(openByDefault([10, 11], []), [10, 11]);
  assert.deepEqual(openByDefault([10, 11, 12, 13], [12]), [10, 11, 12, 13]);
  assert.equal(OPEN_ALL_UP_TO, 4);
});

test('with many, the ones the evidence names start open, else the first', () => {
  const many = [10, 11, 12, 13, 14, 15];
  assert.deepEqual(openByDefault(many, [14]), [14]);
  assert.deepEqual(openByDefault(many, [15, 11]), [11, 15]);
  assert.deepEqual(openByDefault(many, []), [10]);
  // Evidence about a process no longer shown (or the host, pid 0) opens nothing of its own.
  assert.deepEqual(openByDefault(many, [99]), [10]);
  assert.deepEqual(openByDefault([], []), []);
});

test('counts in words', () => {
  assert.equal(countText(1, 'descriptor', 'descriptors'), '1 descriptor');
  assert.equal(countText(0, 'descriptor', 'descriptors'), '0 descriptors');
  assert.equal(countText(4, 'mapping', 'mappings'), '4 mappings');
});
