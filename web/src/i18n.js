// The UI's languages: one dictionary per language (src/i18n/*.js), the default from the browser.
import en from './i18n/en.js';
import ja from './i18n/ja.js';
import ko from './i18n/ko.js';

export const DICTIONARIES = Object.freeze({ ja, en, ko });
export const LANGUAGES = Object.freeze(['ja', 'en', 'ko']);

/** The first of the browser's languages we have ('ja-JP' → 'ja'), else English. */
export function pickLanguage(preferred) {
  for (const tag of preferred ?? []) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return 'en';
}

/** The string for key in lang with {name} placeholders filled; English, then the key, as fallbacks. */
export function translate(lang, key, params) {
  let s = DICTIONARIES[lang]?.[key] ?? en[key] ?? key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, p) => (p in params ? String(params[p]) : m));
  return s;
}
