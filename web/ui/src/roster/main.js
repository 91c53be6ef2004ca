// The roster (/roster): staff find responders by name and filters, page
// through them, correct a person's profile and skills, deactivate or
// reactivate them with a reason, and import a CSV roster after a dry run
// shows every row's problems by line. The console's login and session
// are shared: a click from the console's header needs no second login.
import './roster.css';
import { $, h, replace } from '../lib/dom.js';
import { APIError, createAPI } from '../lib/api.js';
import { chooseLang, onLangChange, setLang, t } from '../lib/i18n.js';
import '../lib/words.js';
import '../console/messages.js';
import './messages.js';
import { clearSession, loadSession, showLogin } from '../console/login.js';
import { wireLangButtons } from '../console/langswitch.js';
import { errorText, when } from '../console/say.js';
import { setupApplications, showApplications } from './applications.js';

const ROLES = ['social_worker', 'volunteer', 'medic', 'community_worker'];
const STATUSES = ['available', 'offered', 'busy', 'off_duty', 'deactivated', 'pending']; // pending: applications.js
const PAGE = 50;

let session = null;
const state = { cursor: '', next: '', rows: [], editing: null, csv: null };

const api = createAPI(() => session && session.token, () => {
  clearSession();
  session = null;
  login(t('console.session.ended'));
});

// send is the API call for what createAPI does not send as JSON (the CSV)
// or by PATCH; its refusals are the same APIError.
async function send(method, path, body, type = 'application/json') {
  let res;
  try {
    res = await fetch(path, {
      method, cache: 'no-store',
      headers: { Accept: 'application/json', 'Content-Type': type, Authorization: `Bearer ${session.token}` },
      body: type === 'application/json' ? JSON.stringify(body) : body,
    });
  } catch {
    throw new APIError(0, 'network', 'the server cannot be reached');
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const e = (data && data.error) || {};
    if (res.status === 401) {
      clearSession();
      session = null;
      login(t('console.session.ended'));
    }
    throw new APIError(res.status, e.code, e.message);
  }
  return data;
}

const statusWord = (s) => (s === 'deactivated' || s === 'pending' ? t(`roster.status.${s}`) : t(`responder.${s}`));
const roleWord = (r) => (ROLES.includes(r) ? t(`role.${r}`) : t('role.unknown'));
const day = (iso) => iso.slice(0, 10);

function fillSelect(sel, values, word) {
  const keep = sel.value;
  replace(sel, h('option', { value: '' }, t('roster.search.any')), ...values.map((v) => h('option', { value: v }, word(v))));
  sel.value = keep;
}

function query() {
  const p = new URLSearchParams({ limit: String(PAGE) });
  for (const [name, el] of [['q', '#q'], ['role', '#f-role'], ['status', '#f-status'], ['skill', '#f-skill'], ['org', '#f-org']]) {
    const v = $(el).value.trim();
    if (v) p.set(name, v);
  }
  if (state.cursor) p.set('cursor', state.cursor);
  return `/api/v1/responders?${p}`;
}

async function load() {
  if ($('#f-status').value === 'pending') return showApplications($('#f-org').value.trim());
  $('#status').textContent = t('roster.loading');
  try {
    const page = await api.get(query());
    state.rows = page.responders;
    state.next = page.next_cursor;
    render();
  } catch (err) {
    if (err.status !== 401) $('#status').textContent = t('roster.failed', { message: errorText(err) });
  }
}

function skillsText(r) {
  return [...r.skills, ...r.certifications.map((c) => t('roster.cert', { skill: c.skill, date: day(c.expires_at) }))].join('、');
}

function render() {
  const head = h('tr', {}, ...['roster.col.name', 'roster.col.role', 'roster.col.status', 'roster.col.org', 'roster.col.skills', 'roster.col.actions']
    .map((k) => h('th', { scope: 'col' }, t(k))));
  const rows = state.rows.map((r) => h('tr', { dataset: { id: r.id } },
    h('th', { scope: 'row', class: 'name' }, r.name),
    h('td', {}, roleWord(r.role)),
    h('td', { class: `st st-${r.status}` }, statusWord(r.status)),
    h('td', {}, r.org_id || '–'),
    h('td', { class: 'skills' }, skillsText(r) || '–'),
    h('td', {}, h('button', { type: 'button', class: 'edit', 'aria-label': t('roster.editOf', { name: r.name }), onclick: () => edit(r.id) }, t('roster.edit')))));
  replace($('#list'), h('thead', {}, head), h('tbody', {}, ...rows));
  $('#status').textContent = state.rows.length ? t('roster.count', { count: state.rows.length }) : t('roster.none');
  $('#next').disabled = !state.next;
  $('#first').disabled = !state.cursor;
}

// splitList reads "a; b；c" as the CSV import does.
const splitList = (s) => s.split(/[;；、]/).map((x) => x.trim()).filter(Boolean);

function field(label, input) {
  return h('label', {}, h('span', {}, label), input);
}

async function edit(id) {
  const box = $('#editor');
  let r;
  try {
    r = await api.get(`/api/v1/responders/${encodeURIComponent(id)}`);
  } catch (err) {
    if (err.status !== 401) $('#status').textContent = t('roster.failed', { message: errorText(err) });
    return;
  }
  const row = state.rows.find((x) => x.id === id) || {};
  state.editing = id;
  const msg = h('p', { class: 'msg', role: 'status', 'aria-live': 'polite' });
  const form = h('form', { id: 'edit-form', class: 'grid', onsubmit: async (e) => {
    e.preventDefault();
    const certs = [];
    for (const text of splitList(form.certs.value)) {
      const m = /^(.+?)\s*[:：]\s*(\d{4}-\d{2}-\d{2})$/.exec(text);
      if (!m) {
        msg.textContent = t('roster.form.badCert', { text });
        return;
      }
      certs.push({ skill: m[1], expires_at: `${m[2]}T23:59:59Z` });
    }
    try {
      await send('PATCH', `/api/v1/responders/${encodeURIComponent(id)}`, {
        name: form.name.value.trim(), phone: form.phone.value.trim(), org_id: form.org.value.trim(),
        skills: splitList(form.skills.value), certifications: certs,
      });
      msg.textContent = t('roster.form.saved');
      await load();
    } catch (err) {
      if (err.status !== 401) msg.textContent = t('roster.form.failed', { message: errorText(err) });
    }
  } },
  field(t('roster.form.name'), h('input', { name: 'name', value: r.name, required: true, autocomplete: 'off' })),
  field(t('roster.form.phone'), h('input', { name: 'phone', value: r.phone || '', inputmode: 'tel', autocomplete: 'off' })),
  field(t('roster.form.org'), h('input', { name: 'org', value: r.org_id || '', autocomplete: 'off' })),
  field(t('roster.form.skills'), h('input', { name: 'skills', value: r.skills.join('; '), autocomplete: 'off' })),
  field(t('roster.form.certs'), h('input', { name: 'certs', value: r.certifications.map((c) => `${c.skill}:${day(c.expires_at)}`).join('; '), autocomplete: 'off' })),
  h('div', { class: 'row' },
    h('button', { type: 'submit', class: 'primary' }, t('roster.form.save')),
    h('button', { type: 'button', onclick: () => { box.hidden = true; state.editing = null; } }, t('roster.form.cancel'))),
  msg);

  let retire;
  if (row.status === 'deactivated') {
    retire = h('div', { class: 'retire' },
      h('p', {}, t('roster.deactivated.note', { time: when(row.deactivated.at), reason: row.deactivated.reason })),
      h('button', { type: 'button', id: 'reactivate', onclick: async () => {
        try {
          await send('POST', `/api/v1/responders/${encodeURIComponent(id)}/reactivate`, {});
          msg.textContent = t('roster.reactivate.done');
          await load();
          edit(id);
        } catch (err) {
          if (err.status !== 401) msg.textContent = t('roster.form.failed', { message: errorText(err) });
        }
      } }, t('roster.reactivate.go')));
  } else {
    const reason = h('textarea', { name: 'reason', rows: 2, required: true });
    retire = h('form', { class: 'retire', onsubmit: async (e) => {
      e.preventDefault();
      try {
        await send('POST', `/api/v1/responders/${encodeURIComponent(id)}/deactivate`, { reason: reason.value.trim() });
        msg.textContent = t('roster.deactivate.done');
        await load();
        edit(id);
      } catch (err) {
        if (err.status !== 401) msg.textContent = t('roster.form.failed', { message: errorText(err) });
      }
    } },
    h('h3', {}, t('roster.deactivate.title')),
    h('p', { class: 'muted' }, t('roster.deactivate.help')),
    field(t('roster.deactivate.reason'), reason),
    h('button', { type: 'submit', class: 'danger' }, t('roster.deactivate.go')));
  }
  replace(box, h('h2', {}, t('roster.editOf', { name: r.name })), form, retire);
  box.hidden = false;
  box.focus();
}

async function checkImport() {
  const out = $('#import-result');
  const file = $('#csv').files[0];
  if (!file) {
    replace(out, h('p', { class: 'error' }, t('roster.import.noFile')));
    return;
  }
  replace(out, h('p', {}, t('roster.import.checking')));
  state.csv = await file.arrayBuffer();
  try {
    const res = await send('POST', '/api/v1/responders/import?dry_run=true', state.csv, 'text/csv');
    if (res.errors.length) {
      replace(out,
        h('p', { class: 'error' }, t('roster.import.problems', { rows: res.rows, count: res.errors.length })),
        h('ol', { id: 'import-errors' }, ...res.errors.map((e) => h('li', {}, t('roster.import.line', { line: e.line, field: e.field, message: e.message })))));
      return;
    }
    replace(out, h('p', {}, t('roster.import.ok', { count: res.rows })),
      h('button', { type: 'button', id: 'import-go', class: 'primary', onclick: doImport }, t('roster.import.confirm', { count: res.rows })));
  } catch (err) {
    if (err.status !== 401) replace(out, h('p', { class: 'error' }, t('roster.import.failed', { message: errorText(err) })));
  }
}

async function doImport() {
  const out = $('#import-result');
  try {
    const res = await send('POST', '/api/v1/responders/import', state.csv, 'text/csv');
    replace(out, h('p', {}, t('roster.import.done', { count: res.created.length })));
    state.cursor = '';
    load();
  } catch (err) {
    if (err.status !== 401) replace(out, h('p', { class: 'error' }, t('roster.import.failed', { message: errorText(err) })));
  }
}

function drawFilters() {
  fillSelect($('#f-role'), ROLES, roleWord);
  fillSelect($('#f-status'), STATUSES, statusWord);
}

async function login(message) {
  $('#app').hidden = true;
  session = await showLogin($('#login'), api, message);
  $('#login').hidden = true;
  start();
}

function start() {
  $('#app').hidden = false;
  state.cursor = '';
  load();
}

setLang(chooseLang());
wireLangButtons(document);
drawFilters();
onLangChange(() => {
  drawFilters();
  if (!$('#app').hidden) render();
  if (state.editing && !$('#editor').hidden) edit(state.editing);
});

$('#search').addEventListener('submit', (e) => {
  e.preventDefault();
  state.cursor = '';
  load();
});
$('#next').addEventListener('click', () => {
  state.cursor = state.next;
  load();
});
$('#first').addEventListener('click', () => {
  state.cursor = '';
  load();
});
$('#check').addEventListener('click', checkImport);
$('#csv').addEventListener('change', () => replace($('#import-result')));
$('#logout').addEventListener('click', async () => {
  try {
    await api.post('/api/v1/auth/revoke', {});
  } catch {
    // logging out anyway
  }
  clearSession();
  session = null;
  login();
});

setupApplications({ send, token: () => session && session.token });
window.liandongRoster = state; // for the browser test's waits
session = loadSession();
if (session) start();
else login();
