// The console's login: the token lives in sessionStorage (gone with the
// tab) and in memory, never in the URL.
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { langSwitch } from './langswitch.js';
import { errorText } from './say.js';

const KEY = 'liandong.console.session';
const STAFF = new Set(['admin', 'operator', 'coordinator']);

export function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    if (s && s.token && Date.parse(s.expires_at) > Date.now()) return s;
  } catch {
    // fall through
  }
  sessionStorage.removeItem(KEY);
  return null;
}

export function saveSession(s) {
  sessionStorage.setItem(KEY, JSON.stringify(s));
}

export function clearSession() {
  sessionStorage.removeItem(KEY);
}

// showLogin draws the form in el and resolves with the session once an
// operator has logged in.
export function showLogin(el, api, message) {
  return new Promise((resolve) => {
    const error = h('p', { class: 'error', role: 'alert' }, message || '');
    const form = h('form', { id: 'login-form', class: 'login', onsubmit: async (e) => {
      e.preventDefault();
      const button = form.querySelector('button[type=submit]');
      button.disabled = true;
      error.textContent = '';
      try {
        const res = await api.post('/api/v1/auth/login', { username: form.username.value.trim(), password: form.password.value });
        if (!STAFF.has(res.role)) {
          error.textContent = t('console.login.role', { role: res.role });
          button.disabled = false;
          return;
        }
        const s = { token: res.token, role: res.role, expires_at: res.expires_at, username: form.username.value.trim() };
        saveSession(s);
        resolve(s);
      } catch (err) {
        error.textContent = err.status === 401 ? t('console.login.wrong') : t('console.login.failed', { message: errorText(err) });
        button.disabled = false;
      }
    } },
    langSwitch('console.lang.group', 'console.lang.zh', 'console.lang.en'),
    h('h1', { dataset: { i18n: 'console.login.title' } }, t('console.login.title')),
    h('p', { class: 'muted', dataset: { i18n: 'console.login.sub' } }, t('console.login.sub')),
    h('label', {}, h('span', { dataset: { i18n: 'console.login.username' } }, t('console.login.username')), h('input', { name: 'username', autocomplete: 'username', required: true, autofocus: true })),
    h('label', {}, h('span', { dataset: { i18n: 'console.login.password' } }, t('console.login.password')), h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    error,
    h('button', { type: 'submit', class: 'primary', dataset: { i18n: 'console.login.submit' } }, t('console.login.submit')));
    replace(el, form);
    el.hidden = false;
  });
}
