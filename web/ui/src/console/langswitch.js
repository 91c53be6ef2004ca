// The language switch (中文 / English) in a page's header: a choice is
// remembered on the device and applied at once, without a reload, so the
// session and the live socket stay as they are. The buttons' words come
// from the page's catalogue (data-i18n in the markup, or keys given here).
import { h } from '../lib/dom.js';
import { lang, onLangChange, setLang, t } from '../lib/i18n.js';

// wireLangButtons makes every button[data-lang] under root a switch.
export function wireLangButtons(root) {
  const buttons = [...root.querySelectorAll('button[data-lang]')];
  const mark = () => {
    for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.lang === lang()));
  };
  for (const b of buttons) b.addEventListener('click', () => setLang(b.dataset.lang, true));
  onLangChange(mark);
  mark();
}

// langSwitch builds a switch for a place the markup does not have (the
// login form), named by the given catalogue keys.
export function langSwitch(groupKey, zhKey, enKey) {
  const group = h('div', { class: 'langs', role: 'group', dataset: { i18nAttr: `aria-label:${groupKey}` }, 'aria-label': t(groupKey) },
    h('button', { type: 'button', lang: 'zh-CN', dataset: { lang: 'zh-CN', i18n: zhKey } }, t(zhKey)),
    h('button', { type: 'button', lang: 'en', dataset: { lang: 'en', i18n: enKey } }, t(enKey)));
  wireLangButtons(group);
  return group;
}
