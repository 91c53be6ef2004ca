// i18n: every word a page shows comes from a catalogue, never from code.
// A catalogue is { 'zh-CN': { key: text }, en: { key: text } }; each page
// registers its own and the shared one (lib/words.js). A text may name
// placeholders, {name}, filled from t's params; where English needs a
// plural, the text is { one: '...', other: '...' }, chosen by params.count
// with the language's plural rules (Chinese has one form: 'other').
//
// The language is the person's explicit choice (the switch, remembered on
// the device), else the browser's (any zh* is zh-CN), else the server's
// default (the body's data-default-lang, from ui.default_lang).

export const LANGS = ['zh-CN', 'en'];
const STORE_KEY = 'liandong.lang';

const catalogues = { 'zh-CN': {}, en: {} };
const listeners = [];
let current = 'zh-CN';

// register adds a catalogue's keys to every language.
export function register(catalogue) {
  for (const l of LANGS) Object.assign(catalogues[l], catalogue[l] || {});
}

// chooseLang picks the language as above, without remembering it.
export function chooseLang() {
  let saved = null;
  try {
    saved = localStorage.getItem(STORE_KEY);
  } catch {
    // storage refused (private mode): fall through to the browser's
  }
  if (LANGS.includes(saved)) return saved;
  for (const l of navigator.languages || [navigator.language || '']) {
    if (/^zh\b/i.test(l)) return 'zh-CN';
    if (/^en\b/i.test(l)) return 'en';
  }
  const def = document.body && document.body.dataset.defaultLang;
  return LANGS.includes(def) ? def : 'zh-CN';
}

export const lang = () => current;

// setLang switches the page's language; remember keeps the choice on the
// device. Listeners redraw what they drew.
export function setLang(l, remember = false) {
  if (!LANGS.includes(l)) return;
  current = l;
  document.documentElement.lang = l;
  if (remember) {
    try {
      localStorage.setItem(STORE_KEY, l);
    } catch {
      // the choice lasts for this page only
    }
  }
  translateDOM(document);
  for (const f of listeners) f(l);
}

export function onLangChange(f) {
  listeners.push(f);
}

// t says key in the current language, with params filled in. A key
// missing from the catalogue shows as itself, so that it is seen and the
// catalogue test names it.
export function t(key, params = {}) {
  return translate(current, key, params);
}

// translate is t in a given language, for what speaks without a page (the
// responder page's service worker says notifications in the language kept
// on the device).
export function translate(l, key, params = {}) {
  let msg = (catalogues[l] || catalogues['zh-CN'])[key];
  if (msg === undefined) return key;
  if (typeof msg === 'object') {
    const form = new Intl.PluralRules(LANGS.includes(l) ? l : 'zh-CN').select(Number(params.count) || 0);
    msg = msg[form] ?? msg.other;
  }
  return msg.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

// has tells whether key is in the catalogue (for words made from data,
// such as a category the glossary may not know).
export const has = (key) => catalogues[current][key] !== undefined;

// translateDOM fills the static markup: data-i18n="key" sets the text,
// data-i18n-attr="aria-label:key;placeholder:key" sets attributes.
export function translateDOM(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':').map((s) => s.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
}

// timeZone is the configured zone of every time shown (ui.time_zone).
export const timeZone = () => (document.body && document.body.dataset.timeZone) || 'Asia/Shanghai';
