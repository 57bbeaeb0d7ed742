import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cotToSidc } from '../src/sidc.js';

test('friendly ground combat unit', () => {
  assert.equal(cotToSidc('a-f-G-U-C'), 'SFGPUC----');
});

test('affiliations', () => {
  const cases = { f: 'F', h: 'H', n: 'N', u: 'U', a: 'A', s: 'S', j: 'J', k: 'K', o: 'O', p: 'P', x: 'U' };
  for (const [cot, sidc] of Object.entries(cases)) {
    assert.equal(cotToSidc(`a-${cot}-G-U-C`), `S${sidc}GPUC----`, cot);
  }
  assert.equal(cotToSidc('a-q-G'), 'SUGP------', 'unknown affiliation is drawn as unknown');
});

test('battle dimensions', () => {
  assert.equal(cotToSidc('a-f-P'), 'SFPP------');
  assert.equal(cotToSidc('a-h-A-M-F-Q'), 'SHAPMFQ---');
  assert.equal(cotToSidc('a-n-S-C'), 'SNSPC-----');
  assert.equal(cotToSidc('a-h-U-S'), 'SHUPS-----');
  assert.equal(cotToSidc('a-f-F'), 'SFFP------');
  assert.equal(cotToSidc('a-u-X'), 'SUZP------');
  assert.equal(cotToSidc('a-f'), 'SFZP------');
});

test('function id is at most six characters', () => {
  assert.equal(cotToSidc('a-f-G-U-C-I-M-O-T-Z'), 'SFGPUCIMOT');
  assert.equal(cotToSidc('a-f-G-E-V-A-T'), 'SFGPEVAT--');
});

test('non-atoms have no symbol', () => {
  for (const t of ['b-m-p-s-p-i', 'b-w-m-w', 't-x-d-d', '', 'a', 'a-', null, undefined, 42]) {
    assert.equal(cotToSidc(t), null, String(t));
  }
});

test('odd characters never reach the SIDC', () => {
  assert.equal(cotToSidc('a-f-G-<b>-C'), 'SFGPBC----');
});
