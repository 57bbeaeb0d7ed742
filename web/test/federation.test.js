import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLag, linkHealth, linkRows } from '../src/federation.js';

test('lag reads in seconds, minutes or hours as it grows', () => {
  assert.equal(formatLag(0), '0 s');
  assert.equal(formatLag(0.25), '0.3 s');
  assert.equal(formatLag(42), '42 s');
  assert.equal(formatLag(600), '10 min');
  assert.equal(formatLag(3 * 3600), '3 h');
  assert.equal(formatLag(undefined), '0 s');
});

test('a link is ok when caught up, behind when it lags, down when not up', () => {
  assert.equal(linkHealth({ state: 'up', lagEvents: 0, lagSeconds: 0 }), 'ok');
  assert.equal(linkHealth({ state: 'up', lagEvents: 3, lagSeconds: 0.1 }), 'behind');
  assert.equal(linkHealth({ state: 'up', lagEvents: 0, lagSeconds: 8 }), 'behind');
  assert.equal(linkHealth({ state: 'down', lagEvents: 0, lagSeconds: 0 }), 'down');
  assert.equal(linkHealth({ state: 'connecting' }), 'down');
});

test('rows come sorted by partner organization with the figures the panel shows', () => {
  const rows = linkRows({
    enabled: true,
    links: [
      { partnerNodeId: 'kizuna-2', partnerOrganization: 'ROK-JCS', state: 'down', lagEvents: 0, lagSeconds: 0, outboxDepth: 0, withheld: 2, expired: 1 },
      { partnerNodeId: 'kizuna-1', partnerOrganization: 'JJOC', state: 'up', lagEvents: 5, lagSeconds: 1.5, outboxDepth: 5, withheld: 0, expired: 0 },
    ],
  });
  assert.deepEqual(rows.map((r) => r.organization), ['JJOC', 'ROK-JCS']);
  assert.deepEqual(rows[0], { organization: 'JJOC', nodeId: 'kizuna-1', state: 'up', health: 'behind', lagEvents: 5, lag: '1.5 s', outbox: 5, withheld: 0, expired: 0 });
  assert.equal(rows[1].health, 'down');
  assert.deepEqual(linkRows(null), []);
});
