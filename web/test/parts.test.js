import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { backoffMs } from '../src/live.js';
import { receiptsByOrganization } from '../src/warnings.js';
import { commandLayout } from '../src/tree.js';
import { normalizeWarningDetail, stageName } from '../src/api.js';

test('reconnect backoff doubles from 0.5 s to at most 30 s', () => {
  const mid = () => 0.5;
  assert.deepEqual([0, 1, 2, 3, 6, 10].map((n) => backoffMs(n, mid)), [500, 1000, 2000, 4000, 30000, 30000]);
  assert.equal(backoffMs(0, () => 0), 400);
  assert.equal(backoffMs(0, () => 1), 600);
});

test('receipts per headquarters: acknowledged beats delivered beats pending', () => {
  const orgs = receiptsByOrganization({
    version: 2,
    receipts: [
      { recipient: 'a', organization: 'JJOC', nation: 'JPN', deliveredAt: '2026-01-01T00:00:01Z', acknowledgedAt: null },
      { recipient: 'b', organization: 'JJOC', nation: 'JPN', deliveredAt: '2026-01-01T00:00:01Z', acknowledgedAt: '2026-01-01T00:00:09Z' },
      { recipient: 'c', organization: 'USFJ', nation: 'USA', deliveredAt: '2026-01-01T00:00:02Z', acknowledgedAt: null },
      { recipient: 'd', organization: 'USFK', nation: 'USA', deliveredAt: null, acknowledgedAt: null },
    ],
    notAcknowledgedBy: ['USFJ', 'ROK-JCS'],
    escalatedFor: ['USFJ'],
  });
  const by = Object.fromEntries(orgs.map((o) => [o.organization, o]));
  assert.equal(by.JJOC.state, 'acknowledged');
  assert.equal(by.JJOC.at, '2026-01-01T00:00:09Z');
  assert.equal(by.USFJ.state, 'delivered');
  assert.equal(by.USFJ.escalated, true);
  assert.equal(by.USFK.state, 'pending');
  assert.equal(by['ROK-JCS'].state, 'delivered');
});

test('warning detail: a list of versions or one object with versions', () => {
  const list = normalizeWarningDetail([{ id: 'W', version: 2, stage: 'TakeShelter' }, { id: 'W', version: 1, stage: 'Launch' }]);
  assert.equal(list.version, 2);
  assert.deepEqual(list.versions.map((v) => v.version), [1, 2]);
  const one = normalizeWarningDetail({ id: 'W', version: 3, versions: [{ version: 3 }, { version: 1 }] });
  assert.deepEqual(one.versions.map((v) => v.version), [1, 3]);
  assert.equal(normalizeWarningDetail(null), null);
});

test('command layout of the shipped profile: national columns, combined once, chains in force', () => {
  const file = JSON.parse(readFileSync(new URL('../../profiles/us-jpn-kor.json', import.meta.url), 'utf8'));
  const profile = { ...file, organizations: file.organizations.map((o) => ({ ...o, nations: o.nations ?? [o.nation] })) };
  const layout = commandLayout(profile, '2026-06-01');
  const roots = Object.fromEntries(layout.nations.map((n) => [n.code, n.roots]));
  assert.deepEqual(roots.JPN, ['JPN-MOD']);
  assert.deepEqual(roots.USA, ['INDOPACOM']);
  assert.deepEqual(roots.KOR, ['ROK-MND']);
  assert.deepEqual(layout.combined, ['CFC']);
  const kids = (id) => (layout.children.get(id) ?? []).map((c) => c.id);
  assert.ok(kids('JPN-MOD').includes('JJOC'));
  assert.ok(kids('JJOC').includes('JGSDF-GCC'), 'after 2025-03-24 the components are under JJOC');
  assert.ok(!kids('JPN-MOD').includes('JGSDF-GCC'));
  assert.ok(kids('USFK').includes('EUSA'), 'OPCON beats ADCON');
  assert.equal(layout.counterparts.length, 2);
  assert.ok(layout.links.some((r) => r.superior === 'JJOC' && r.subordinate === 'USFJ'), 'cross-nation relationships are links');
  // before JJOC existed, the Minister commanded the components directly
  const before = commandLayout(profile, '2025-01-01');
  assert.ok(before.children.get('JPN-MOD').some((c) => c.id === 'JGSDF-GCC'));
  // every organization appears exactly once in the tree
  const seen = [];
  const walk = (id) => { seen.push(id); for (const c of layout.children.get(id) ?? []) walk(c.id); };
  for (const n of layout.nations) n.roots.forEach(walk);
  layout.combined.forEach(walk);
  assert.deepEqual(seen.sort(), profile.organizations.map((o) => o.id).sort());
});

test('warning stages in the node\'s CoT names read as the contract\'s names', () => {
  assert.deepEqual(['launch', 'take-shelter', 'overflight', 'landed-in-japan', 'landed-outside-japan', 'cancelled', 'TakeShelter'].map(stageName),
    ['Launch', 'TakeShelter', 'Overflight', 'LandedInJapan', 'LandedOutsideJapan', 'Cancelled', 'TakeShelter']);
  const d = normalizeWarningDetail([{ id: 'W-1', version: 2, stage: 'take-shelter' }, { id: 'W-1', version: 1, stage: 'launch' }]);
  assert.equal(d.stage, 'TakeShelter');
  assert.deepEqual(d.versions.map((v) => v.stage), ['Launch', 'TakeShelter']);
});
