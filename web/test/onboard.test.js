import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mayMakePackages, packageFileName, packageRequest } from '../src/onboard.js';

test('the request carries the trimmed identity and host, and a clearance only when chosen', () => {
  assert.deepEqual(packageRequest({ name: ' usfj-9 ', organization: 'USFJ', clearance: '', host: ' kizuna.example ', itak: false }),
    { name: 'usfj-9', organization: 'USFJ', host: 'kizuna.example', itak: false });
  assert.equal(packageRequest({ name: 'x', organization: 'JJOC', clearance: 'SECRET', host: 'h', itak: true }).clearance, 'SECRET');
});

test('the download is named as the node names it, else after the holder', () => {
  assert.equal(packageFileName('attachment; filename=kizuna-usfj-9.zip; filename*=UTF-8\'\'kizuna-usfj-9.zip', 'usfj-9'), 'kizuna-usfj-9.zip');
  assert.equal(packageFileName(null, 'usfj-9'), 'kizuna-usfj-9.zip');
});

test('only a node operator sees the panel', () => {
  assert.equal(mayMakePackages({ role: 'node-operator' }), true);
  assert.equal(mayMakePackages({ role: 'operator' }), false);
  assert.equal(mayMakePackages(null), false);
});
