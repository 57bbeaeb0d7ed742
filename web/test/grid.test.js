import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScreenGrid } from '../src/grid.js';

function bin(points, { width = 100, height = 100, size = 10, ox = 0, oy = 0 } = {}) {
  const g = new ScreenGrid();
  g.reset(width, height, size, ox, oy);
  points.forEach(([x, y, rank = 0, stale = false], i) => g.add(i, x, y, rank, stale));
  const cells = [];
  for (let k = 0; k < g.usedCount; k++) {
    const c = g.used[k];
    cells.push({ count: g.count[c], first: g.first[c], fresh: g.fresh[c], rank: g.rank[c], x: g.sumX[c] / g.count[c], y: g.sumY[c] / g.count[c] });
  }
  return { g, cells };
}

test('points in the same cell become one cluster with their count and mean position', () => {
  const { cells } = bin([[1, 1], [9, 9], [55, 55]]);
  assert.deepEqual(cells.map((c) => [c.count, c.first, c.x, c.y]), [[2, 0, 5, 5], [1, 2, 55, 55]]);
});

test('every point is counted in exactly one cell, however many and wherever they are', () => {
  const pts = [];
  for (let i = 0; i < 5000; i++) pts.push([(i * 37) % 130 - 15, (i * 53) % 120 - 10]); // some off the edges
  const { g, cells } = bin(pts);
  assert.equal(g.total(), 5000);
  assert.equal(cells.reduce((n, c) => n + c.count, 0), 5000);
});

test('a cluster takes the highest rank among its points and counts the fresh ones', () => {
  const { cells } = bin([[1, 1, 0, true], [2, 2, 3, false], [3, 3, 1, true]]);
  assert.equal(cells.length, 1);
  assert.equal(cells[0].rank, 3);
  assert.equal(cells[0].fresh, 1);
});

test('a grid reused for the next frame starts empty', () => {
  const { g } = bin([[1, 1], [2, 2], [50, 50]]);
  g.reset(100, 100, 10);
  g.add(0, 1, 1);
  assert.equal(g.usedCount, 1);
  assert.equal(g.count[g.used[0]], 1);
  assert.equal(g.total(), 1);
});

test('cells are anchored to the world origin, so panning the view keeps the same groups', () => {
  const pts = [[3, 3], [12, 3], [17, 3]]; // with the origin at 0: cells [0,10) and [10,20)
  const groups = (ox, shift) => bin(pts.map(([x, y]) => [x + shift, y]), { ox: ox + shift }).cells.map((c) => c.count);
  assert.deepEqual(groups(0, 0), [1, 2]);
  assert.deepEqual(groups(0, 4), [1, 2]); // the view panned 4 px: the same clusters
  assert.deepEqual(groups(5, 0), [1, 1, 1]); // another origin: cells [-5,5), [5,15), [15,25)
});
