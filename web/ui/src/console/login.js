// The console's login: the token lives in sessionStorage (gone with the
// tab) and in memory, never in the URL.
import { h, replace } from '../lib/dom.js';

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
      const button = form.querySelector('button');
      button.disabled = true;
      error.textContent = '';
      try {
        const res = await api.post('/api/v1/auth/login', { username: form.username.value.trim(), password: form.password.value });
        if (!STAFF.has(res.role)) {
          error.textContent = `A ${res.role} account cannot run the console.`;
          button.disabled = false;
          return;
        }
        const s = { token: res.token, role: res.role, expires_at: res.expires_at, username: form.username.value.trim() };
        saveSession(s);
        resolve(s);
      } catch (err) {
        error.textContent = err.status === 401 ? 'Wrong username or password.' : `Cannot log in: ${err.message}`;
        button.disabled = false;
      }
    } },
    h('h1', {}, 'Liandong 联动'),
    h('p', { class: 'muted' }, 'Command centre console'),
    h('label', {}, 'Username', h('input', { name: 'username', autocomplete: 'username', required: true, autofocus: true })),
    h('label', {}, 'Password', h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    error,
    h('button', { type: 'submit', class: 'primary' }, 'Log in'));
    replace(el, form);
    el.hidden = false;
  });
}
