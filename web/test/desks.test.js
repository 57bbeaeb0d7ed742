import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actionsFor, bannerLabel } from '../src/desks.js';

const request = (state) => ({ id: 'C-1', from: 'JJOC', to: 'USFJ', state });

test('the addressee may acknowledge and accept a request it received, the sender only withdraw it', () => {
  assert.deepEqual(actionsFor(request('received'), 'USFJ'), ['ack', 'accept']);
  assert.deepEqual(actionsFor(request('received'), 'JJOC'), ['withdraw']);
  assert.deepEqual(actionsFor(request('received'), 'ROK-JCS'), []);
});

test('after a counter the sender answers it, and only the addressee completes what was accepted', () => {
  assert.deepEqual(actionsFor(request('countered'), 'JJOC'), ['accept', 'withdraw']);
  assert.deepEqual(actionsFor(request('countered'), 'USFJ'), []);
  assert.deepEqual(actionsFor(request('accepted'), 'USFJ'), ['complete']);
  assert.deepEqual(actionsFor(request('completed'), 'USFJ'), []);
  assert.deepEqual(actionsFor(request('withdrawn'), 'JJOC'), []);
});

test('a banner becomes the label the badges take, classified by its first part', () => {
  assert.deepEqual(bannerLabel('CONFIDENTIAL//REL TO USA, JPN'), { banner: 'CONFIDENTIAL//REL TO USA, JPN', classification: 'CONFIDENTIAL' });
});
