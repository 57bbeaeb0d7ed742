import { test } from 'node:test';
import assert from 'node:assert/strict';
import { insertionIndex, insertSorted, removeSorted } from '../src/order.js';

const byNumber = (a, b) => a - b;

test('sorted insertion keeps the order and places equal items after the existing ones', () => {
  const a = [];
  for (const x of [5, 1, 4, 1, 3, 9, 2, 6]) insertSorted(a, x, byNumber);
  assert.deepEqual(a, [1, 1, 2, 3, 4, 5, 6, 9]);
  assert.equal(insertionIndex(a, 1, byNumber), 2);
  assert.equal(insertionIndex(a, 0, byNumber), 0);
  assert.equal(insertionIndex(a, 10, byNumber), 8);
});

test('sorted removal removes that very item among equal ones', () => {
  const rows = [{ k: 'a' }, { k: 'b' }, { k: 'b' }, { k: 'c' }];
  const cmp = (x, y) => x.k.localeCompare(y.k);
  const second = rows[2];
  assert.equal(removeSorted(rows, second, cmp), true);
  assert.equal(rows.length, 3);
  assert.ok(!rows.includes(second));
  assert.equal(removeSorted(rows, { k: 'b' }, cmp), false);
  assert.equal(rows.length, 3);
});
