import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stateAt, isStale, timeSpan, isPictureEvent } from '../src/replay.js';

const ev = (uid, time, lat, extra = {}) => ({
  uid, type: 'a-f-G-U-C', time, stale: new Date(Date.parse(time) + 60_000).toISOString(),
  point: { lat, lon: 130 }, receivedAt: time, ...extra,
});

const history = [
  // newest first, as /api/events gives them
  ev('b', '2026-01-01T00:10:00Z', 3),
  ev('a', '2026-01-01T00:05:00Z', 2),
  ev('b', '2026-01-01T00:03:00Z', 1),
  ev('a', '2026-01-01T00:00:00Z', 1),
  ev('chat', '2026-01-01T00:01:00Z', 0, { type: 'b-t-f' }),
  ev('warn', '2026-01-01T00:01:00Z', 0, { type: 'b-w-m-w' }),
];

test('latest event per uid at or before the time', () => {
  const s = stateAt(history, '2026-01-01T00:05:00Z');
  assert.deepEqual([...s.keys()].sort(), ['a', 'b']);
  assert.equal(s.get('a').point.lat, 2, 'an event exactly at T counts');
  assert.equal(s.get('b').point.lat, 1, 'events after T are ignored');
});

test('before anything happened: empty', () => {
  assert.equal(stateAt(history, '2025-12-31T23:59:59Z').size, 0);
});

test('only a after its first report', () => {
  const s = stateAt(history, Date.parse('2026-01-01T00:01:00Z'));
  assert.deepEqual([...s.keys()], ['a']);
});

test('order of input does not matter', () => {
  const s = stateAt([...history].reverse(), '2026-01-01T00:20:00Z');
  assert.equal(s.get('a').point.lat, 2);
  assert.equal(s.get('b').point.lat, 3);
});

test('same time: the later received wins', () => {
  const s = stateAt([ev('x', '2026-01-01T00:00:00Z', 5, { receivedAt: '2026-01-01T00:00:02Z' }), ev('x', '2026-01-01T00:00:00Z', 6, { receivedAt: '2026-01-01T00:00:01Z' })], '2026-01-01T00:00:00Z');
  assert.equal(s.get('x').point.lat, 5);
});

test('chat, control and warning-lane events are not entities', () => {
  assert.equal(isPictureEvent({ uid: 'x', type: 't-x-d-d', point: {} }), false);
  assert.equal(isPictureEvent({ uid: 'x', type: 'a-f-G', point: {} }), true);
  assert.equal(isPictureEvent({ uid: 'x', type: 'a-f-G' }), false);
});

test('staleness and span', () => {
  const e = ev('a', '2026-01-01T00:00:00Z', 1);
  assert.equal(isStale(e, '2026-01-01T00:00:59Z'), false);
  assert.equal(isStale(e, '2026-01-01T00:01:00Z'), true);
  assert.deepEqual(timeSpan(history), [Date.parse('2026-01-01T00:00:00Z'), Date.parse('2026-01-01T00:10:00Z')]);
  assert.equal(timeSpan([]), null);
});
