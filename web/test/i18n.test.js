import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { DICTIONARIES, LANGUAGES, pickLanguage, translate } from '../src/i18n.js';

const placeholders = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('every language has exactly the English keys, non-empty, with the same placeholders', () => {
  const keys = Object.keys(DICTIONARIES.en).sort();
  for (const lang of LANGUAGES) {
    const dict = DICTIONARIES[lang];
    assert.deepEqual(Object.keys(dict).sort(), keys, lang);
    for (const k of keys) {
      assert.equal(typeof dict[k], 'string', `${lang} ${k}`);
      assert.ok(dict[k].trim().length > 0, `${lang} ${k} is empty`);
      assert.deepEqual(placeholders(dict[k]), placeholders(DICTIONARIES.en[k]), `${lang} ${k} placeholders`);
    }
  }
});

test('every key the sources use exists', () => {
  const dir = new URL('../src/', import.meta.url);
  const used = new Set();
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.js')) continue;
    const src = readFileSync(new URL(f, dir), 'utf8');
    for (const m of src.matchAll(/\bt\(\s*'([a-zA-Z]+\.[\w.]+)'/g)) used.add(m[1]);
    for (const m of src.matchAll(/data-i18n[\w-]*="([\w.]+)"/g)) used.add(m[1]);
  }
  const html = readFileSync(new URL('index.html', dir), 'utf8');
  for (const m of html.matchAll(/data-i18n[\w-]*="([\w.]+)"/g)) used.add(m[1]);
  assert.ok(used.size > 10, 'found the keys in use');
  for (const k of used) assert.ok(k in DICTIONARIES.en, `missing key ${k}`);
});

test('default language from the browser', () => {
  assert.equal(pickLanguage(['ja-JP', 'en-US']), 'ja');
  assert.equal(pickLanguage(['ko-KR']), 'ko');
  assert.equal(pickLanguage(['fr-FR', 'en-GB']), 'en');
  assert.equal(pickLanguage(['de']), 'en');
  assert.equal(pickLanguage(undefined), 'en');
});

test('placeholders are filled', () => {
  assert.equal(translate('en', 'entities.count', { n: 3 }), '3 shown');
  assert.equal(translate('ja', 'replay.events', { n: 12 }), '履歴 12 件');
  assert.equal(translate('xx', 'warnings.ack'), 'Acknowledge');
});
