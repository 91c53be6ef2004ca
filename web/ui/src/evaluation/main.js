// The evaluator dashboard (/evaluation): GET /api/v1/evaluation drawn as
// cards, bar charts and a table. Evaluators, operators and admins log in;
// the token lives in sessionStorage, as on the console.
import './evaluation.css';
import { $, h, replace } from '../lib/dom.js';
import { createAPI } from '../lib/api.js';
import { barChart } from './charts.js';

const KEY = 'liandong.evaluation.session';
const ALLOWED = new Set(['admin', 'operator', 'evaluator']);
let session = null;

function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    if (s && s.token && Date.parse(s.expires_at) > Date.now()) return s;
  } catch {
    // fall through
  }
  sessionStorage.removeItem(KEY);
  return null;
}

const api = createAPI(() => session && session.token, () => {
  sessionStorage.removeItem(KEY);
  session = null;
  login('Your session has ended; please log in again.');
});

function login(message) {
  $('#app').hidden = true;
  const box = $('#login');
  const error = h('p', { class: 'error', role: 'alert' }, message || '');
  const form = h('form', { class: 'login', onsubmit: async (e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      const res = await api.post('/api/v1/auth/login', { username: form.username.value.trim(), password: form.password.value });
      if (!ALLOWED.has(res.role)) {
        error.textContent = `A ${res.role} account cannot read the evaluation.`;
        return;
      }
      session = { token: res.token, role: res.role, expires_at: res.expires_at };
      sessionStorage.setItem(KEY, JSON.stringify(session));
      box.hidden = true;
      start();
    } catch (err) {
      error.textContent = err.status === 401 ? 'Wrong username or password.' : `Cannot log in: ${err.message}`;
    }
  } },
  h('strong', {}, 'Liandong evaluation 评估'),
  h('label', {}, 'Username', h('input', { name: 'username', autocomplete: 'username', required: true })),
  h('label', {}, 'Password', h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
  error,
  h('button', { type: 'submit' }, 'Log in'));
  replace(box, form);
  box.hidden = false;
}

const pct = (v) => (v === null || v === undefined ? '–' : `${Math.round(v * 1000) / 10}%`);
const secs = (v) => {
  if (v === null || v === undefined) return '–';
  if (v < 120) return `${Math.round(v * 10) / 10} s`;
  if (v < 7200) return `${Math.round(v / 6) / 10} min`;
  return `${Math.round(v / 360) / 10} h`;
};
const num = (v, d = 2) => (v === null || v === undefined ? '–' : String(Math.round(v * 10 ** d) / 10 ** d));

function card(label, value, sub) {
  return h('div', { class: 'card' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value), sub ? h('div', { class: 'sub' }, sub) : null);
}

function render(ev) {
  const n = ev.overall.needs;
  const s = ev.overall.served;
  replace($('#overall'),
    card('Needs', n.needs, `${n.by_status.completed} completed · ${n.by_status.unstaffed} unstaffed`),
    card('Time to first offer', secs(n.time_to_first_offer.median_seconds), `median · p95 ${secs(n.time_to_first_offer.p95_seconds)}`),
    card('Time to staffed', secs(n.time_to_staffed.median_seconds), `median · p95 ${secs(n.time_to_staffed.p95_seconds)}`),
    card('Fill rate', pct(n.fill_rate), 'staffed / (staffed + unstaffed)'),
    card('Completion rate', pct(n.completion_rate), 'completed / staffed and closed'),
    card('Satisfaction', n.satisfaction.mean === null ? '–' : `${num(n.satisfaction.mean)} / 5`, `${n.satisfaction.count} ratings`),
    card('Escalations', n.escalations, `${n.escalated_needs} needs escalated`),
    card('Offers accepted', pct(s.acceptance_rate), `${s.offers} offers · ${s.declined} declined · ${s.expired} lapsed`));

  const orgs = ev.organisations;
  replace($('#chart-rates'), barChart(orgs.map((o) => ({ label: o.org_id, values: [o.needs.fill_rate, o.needs.completion_rate] })),
    [{ name: 'fill rate', color: '#2b6cb0' }, { name: 'completion rate', color: '#2f855a' }], { max: 1, format: pct }));
  replace($('#chart-times'), barChart(orgs.map((o) => ({ label: o.org_id, values: [o.needs.time_to_first_offer.median_seconds, o.needs.time_to_staffed.median_seconds] })),
    [{ name: 'to first offer', color: '#805ad5' }, { name: 'to staffed', color: '#c05621' }], { format: secs }));
  replace($('#chart-satisfaction'), barChart(orgs.map((o) => ({ label: o.org_id, values: [o.served.satisfaction.mean] })),
    [{ name: 'mean rating', color: '#d69e2e' }], { max: 5, format: (v) => num(v) }));
  replace($('#chart-distribution'), barChart(n.satisfaction.distribution.map((c, i) => ({ label: `${i + 1} ★`, values: [c] })),
    [{ name: 'ratings', color: '#d69e2e' }], { format: (v) => String(v) }));

  const head = h('tr', {}, ...['Organisation', 'Needs', 'First offer (median)', 'Staffed (median / p95)', 'Fill', 'Completion', 'Rating (needs)',
    'Escalations', 'Offers to members', 'Accepted', 'Members completed', 'Rating (served)', 'Reliability'].map((t) => h('th', {}, t)));
  const rows = orgs.map((o) => h('tr', {},
    h('td', {}, o.org_id),
    h('td', {}, o.needs.needs),
    h('td', {}, secs(o.needs.time_to_first_offer.median_seconds)),
    h('td', {}, `${secs(o.needs.time_to_staffed.median_seconds)} / ${secs(o.needs.time_to_staffed.p95_seconds)}`),
    h('td', {}, pct(o.needs.fill_rate)),
    h('td', {}, pct(o.needs.completion_rate)),
    h('td', {}, o.needs.satisfaction.count ? `${num(o.needs.satisfaction.mean)} (${o.needs.satisfaction.count})` : '–'),
    h('td', {}, o.needs.escalations),
    h('td', {}, o.served.offers),
    h('td', {}, pct(o.served.acceptance_rate)),
    h('td', {}, o.served.completed),
    h('td', {}, o.served.satisfaction.count ? `${num(o.served.satisfaction.mean)} (${o.served.satisfaction.count})` : '–'),
    h('td', {}, o.reliability ? num(o.reliability.score) : '–')));
  replace($('#orgs'), h('thead', {}, head), h('tbody', {}, ...rows));
  $('#status').textContent = `Generated ${new Date(ev.generated_at).toLocaleString()}${ev.since ? ` · needs since ${new Date(ev.since).toLocaleString()}` : ''}`;
}

async function refresh() {
  const since = $('#since').value;
  let path = '/api/v1/evaluation';
  if (since) path += `?since=${encodeURIComponent(new Date(since).toISOString())}`;
  $('#status').textContent = 'Loading…';
  try {
    render(await api.get(path));
  } catch (err) {
    if (err.status !== 401) $('#status').textContent = `Cannot load the evaluation: ${err.message}`;
  }
}

function start() {
  $('#app').hidden = false;
  refresh();
}

$('#refresh').addEventListener('click', refresh);
$('#since').addEventListener('change', refresh);
$('#logout').addEventListener('click', async () => {
  try {
    await api.post('/api/v1/auth/revoke', {});
  } catch {
    // logging out anyway
  }
  sessionStorage.removeItem(KEY);
  session = null;
  login();
});

session = loadSession();
if (session) start();
else login();
