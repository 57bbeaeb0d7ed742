import { test } from 'node:test';
import assert from 'node:assert/strict';
import { highestLabel, levelColor, levelOf } from '../src/labels.js';

const CLASSES = ['UNCLASSIFIED', 'CONFIDENTIAL', 'SECRET'];
const NATIONS = ['USA', 'JPN', 'KOR'];
const label = (classification, releasableTo, extra = {}) => ({
  classification,
  releasableTo,
  banner: `${classification}${extra.caveat ? '//' + extra.caveat : ''}//REL TO ${releasableTo.join(', ')}`,
  caveat: null,
  categories: [],
  ...extra,
});

test('nothing on screen is UNCLASSIFIED', () => {
  assert.equal(highestLabel([], CLASSES, NATIONS).banner, 'UNCLASSIFIED');
  assert.equal(highestLabel(undefined, CLASSES, NATIONS).classification, 'UNCLASSIFIED');
});

test('one label: its banner', () => {
  const r = highestLabel([label('SECRET', ['USA', 'JPN'])], CLASSES, NATIONS);
  assert.equal(r.banner, 'SECRET//REL TO USA, JPN');
  assert.equal(r.classification, 'SECRET');
});

test('the highest classification wins, in the profile order', () => {
  const r = highestLabel([label('CONFIDENTIAL', ['USA', 'JPN', 'KOR']), label('SECRET', ['USA', 'JPN', 'KOR']), label('UNCLASSIFIED', ['USA', 'JPN', 'KOR'])], CLASSES, NATIONS);
  assert.equal(r.banner, 'SECRET//REL TO USA, JPN, KOR');
});

test('differing releasability: highest classification with the intersection of nations', () => {
  const r = highestLabel([label('SECRET', ['USA', 'JPN', 'KOR']), label('CONFIDENTIAL', ['JPN', 'USA'])], CLASSES, NATIONS);
  assert.equal(r.banner, 'SECRET//REL TO USA, JPN');
  assert.deepEqual(r.releasableTo, ['USA', 'JPN']);
});

test('no common nation', () => {
  const r = highestLabel([label('CONFIDENTIAL', ['KOR']), label('CONFIDENTIAL', ['JPN'])], CLASSES, NATIONS);
  assert.equal(r.banner, 'CONFIDENTIAL//REL TO NONE');
});

test('caveats and restrictive categories are united, permissive ones intersected', () => {
  const a = label('SECRET', ['USA', 'JPN'], { caveat: 'EXERCISE', categories: [{ name: 'SAP', type: 'restrictive', values: ['MWX'] }, { name: 'Mission', type: 'permissive', values: ['A', 'B'] }] });
  const b = label('CONFIDENTIAL', ['USA', 'JPN', 'KOR'], { categories: [{ name: 'SAP', type: 'restrictive', values: ['SEA'] }, { name: 'Mission', type: 'permissive', values: ['B', 'C'] }] });
  const r = highestLabel([a, b], CLASSES, NATIONS);
  assert.equal(r.banner, 'SECRET//MWX/SEA//EXERCISE//MISSION B//REL TO USA, JPN');
});

test('classification is matched without regard to case', () => {
  assert.equal(levelOf('secret', CLASSES), 2);
  const r = highestLabel([label('SECRET', ['USA']), { classification: 'confidential', releasableTo: ['USA'] }], CLASSES, NATIONS);
  assert.equal(r.classification, 'SECRET');
});

test('banner colours follow US conventions', () => {
  assert.equal(levelColor('UNCLASSIFIED').background, '#007a33');
  assert.equal(levelColor('CONFIDENTIAL').background, '#0033a0');
  assert.equal(levelColor('SECRET').background, '#c8102e');
  assert.equal(levelColor('bogus').background, '#5a5a5a');
});
