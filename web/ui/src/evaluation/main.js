// The evaluator dashboard (/evaluation): GET /api/v1/evaluation drawn as
// cards, bar charts and a table. Evaluators, operators and admins log in;
// the token lives in sessionStorage, as on the console.
import './evaluation.css';
import { $, h, replace } from '../lib/dom.js';
import { createAPI } from '../lib/api.js';
import { barChart } from './charts.js';
import { chooseLang, lang, onLangChange, setLang, t } from '../lib/i18n.js';
import { when } from '../console/say.js';
import './messages.js';
import { wireLangButtons } from '../console/langswitch.js';
import { IncidentSelect } from './incidents.js';

const KEY = 'liandong.evaluation.session';
const ALLOWED = new Set(['admin', 'operator', 'evaluator']);
let session = null;
let last = null; // the evaluation on screen, drawn again in a new language
let incidents = null; // the incident selector, once logged in

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
  login(t('eval.login.ended'));
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
        error.textContent = t('eval.login.role', { role: res.role });
        return;
      }
      session = { token: res.token, role: res.role, expires_at: res.expires_at };
      sessionStorage.setItem(KEY, JSON.stringify(session));
      box.hidden = true;
      start();
    } catch (err) {
      error.textContent = err.status === 401 ? t('eval.login.wrong') : t('eval.login.failed', { message: err.message });
    }
  } },
  h('strong', { dataset: { i18n: 'eval.login.title' } }, t('eval.login.title')),
  h('label', {}, h('span', { dataset: { i18n: 'eval.login.username' } }, t('eval.login.username')), h('input', { name: 'username', autocomplete: 'username', required: true })),
  h('label', {}, h('span', { dataset: { i18n: 'eval.login.password' } }, t('eval.login.password')), h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
  error,
  h('button', { type: 'submit', dataset: { i18n: 'eval.login.submit' } }, t('eval.login.submit')));
  replace(box, form);
  box.hidden = false;
}

// Figures in the language's form: grouped digits, its percent sign, its
// units of time; '–' where there is no figure.
const missing = (v) => v === null || v === undefined;
const pct = (v) => (missing(v) ? '–' : new Intl.NumberFormat(lang(), { style: 'percent', maximumFractionDigits: 1 }).format(v));
const num = (v, d = 2) => (missing(v) ? '–' : new Intl.NumberFormat(lang(), { maximumFractionDigits: d }).format(v));
const secs = (v) => {
  if (missing(v)) return '–';
  if (v < 120) return t('eval.secs', { n: num(v, 1) });
  if (v < 7200) return t('eval.mins', { n: num(v / 60, 1) });
  return t('eval.hours', { n: num(v / 3600, 1) });
};
const rating = (s) => (s.count ? t('eval.rating', { mean: num(s.mean), count: num(s.count) }) : '–');

function card(label, value, sub) {
  return h('div', { class: 'card' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value), sub ? h('div', { class: 'sub' }, sub) : null);
}

function render(ev) {
  last = ev;
  const n = ev.overall.needs;
  const s = ev.overall.served;
  const median = (d) => t('eval.card.median', { p95: secs(d.p95_seconds) });
  replace($('#overall'),
    card(t('eval.card.needs'), num(n.needs), t('eval.card.needs.sub', { completed: num(n.by_status.completed), unstaffed: num(n.by_status.unstaffed) })),
    card(t('eval.card.firstOffer'), secs(n.time_to_first_offer.median_seconds), median(n.time_to_first_offer)),
    card(t('eval.card.staffed'), secs(n.time_to_staffed.median_seconds), median(n.time_to_staffed)),
    card(t('eval.card.fill'), pct(n.fill_rate), t('eval.card.fill.sub')),
    card(t('eval.card.completion'), pct(n.completion_rate), t('eval.card.completion.sub')),
    card(t('eval.card.satisfaction'), missing(n.satisfaction.mean) ? '–' : t('eval.card.satisfaction.value', { mean: num(n.satisfaction.mean) }),
      t('eval.card.satisfaction.sub', { count: n.satisfaction.count })),
    card(t('eval.card.escalations'), num(n.escalations), t('eval.card.escalations.sub', { count: n.escalated_needs })),
    card(t('eval.card.accepted'), pct(s.acceptance_rate), t('eval.card.accepted.sub', { offers: num(s.offers), declined: num(s.declined), expired: num(s.expired) })));

  const orgs = ev.organisations;
  const caption = (id) => $(id).textContent;
  replace($('#chart-rates'), barChart(orgs.map((o) => ({ label: o.org_id, values: [o.needs.fill_rate, o.needs.completion_rate] })),
    [{ name: t('eval.series.fill'), color: '#2b6cb0' }, { name: t('eval.series.completion'), color: '#2f855a' }], { max: 1, format: pct, title: caption('#cap-rates') }));
  replace($('#chart-times'), barChart(orgs.map((o) => ({ label: o.org_id, values: [o.needs.time_to_first_offer.median_seconds, o.needs.time_to_staffed.median_seconds] })),
    [{ name: t('eval.series.firstOffer'), color: '#805ad5' }, { name: t('eval.series.staffed'), color: '#c05621' }], { format: secs, title: caption('#cap-times') }));
  replace($('#chart-satisfaction'), barChart(orgs.map((o) => ({ label: o.org_id, values: [o.served.satisfaction.mean] })),
    [{ name: t('eval.series.mean'), color: '#d69e2e' }], { max: 5, format: (v) => num(v), title: caption('#cap-satisfaction') }));
  replace($('#chart-distribution'), barChart(n.satisfaction.distribution.map((c, i) => ({ label: t('eval.chart.star', { stars: i + 1 }), values: [c] })),
    [{ name: t('eval.series.ratings'), color: '#d69e2e' }], { format: (v) => num(v), title: caption('#cap-distribution') }));

  const head = h('tr', {}, ...[t('eval.col.org'), t('eval.col.needs'), t('eval.col.firstOffer'), t('eval.col.staffed'), t('eval.col.fill'), t('eval.col.completion'),
    t('eval.col.ratingNeeds'), t('eval.col.escalations'), t('eval.col.offers'), t('eval.col.accepted'), t('eval.col.completed'), t('eval.col.ratingServed'),
    t('eval.col.reliability')].map((label) => h('th', { scope: 'col' }, label)));
  const rows = orgs.map((o) => h('tr', {},
    h('th', { scope: 'row' }, o.org_id),
    h('td', {}, num(o.needs.needs)),
    h('td', {}, secs(o.needs.time_to_first_offer.median_seconds)),
    h('td', {}, `${secs(o.needs.time_to_staffed.median_seconds)} / ${secs(o.needs.time_to_staffed.p95_seconds)}`),
    h('td', {}, pct(o.needs.fill_rate)),
    h('td', {}, pct(o.needs.completion_rate)),
    h('td', {}, rating(o.needs.satisfaction)),
    h('td', {}, num(o.needs.escalations)),
    h('td', {}, num(o.served.offers)),
    h('td', {}, pct(o.served.acceptance_rate)),
    h('td', {}, num(o.served.completed)),
    h('td', {}, rating(o.served.satisfaction)),
    h('td', {}, o.reliability ? num(o.reliability.score) : '–')));
  replace($('#orgs'), h('thead', {}, head), h('tbody', {}, ...rows));
  const said = ev.since
    ? t('eval.generatedSince', { time: when(ev.generated_at), since: when(ev.since) })
    : t('eval.generated', { time: when(ev.generated_at) });
  $('#status').textContent = ev.incident && incidents ? t('eval.incident.of', { incident: incidents.name(ev.incident) || ev.incident, said }) : said;
}

async function refresh() {
  const since = $('#since').value;
  const query = new URLSearchParams();
  if (since) query.set('since', new Date(since).toISOString());
  const incident = incidents ? incidents.value() : '';
  if (incident) query.set('incident', incident);
  const path = `/api/v1/evaluation${query.size ? `?${query}` : ''}`;
  $('#status').textContent = t('eval.loading');
  try {
    render(await api.get(path));
  } catch (err) {
    if (err.status !== 401) $('#status').textContent = t('eval.failed', { message: err.message });
  }
}

function start() {
  $('#app').hidden = false;
  if (!incidents) incidents = new IncidentSelect($('#incident'), api, () => refresh());
  incidents.load();
  refresh();
}

// The page speaks the chosen language before anything is drawn; a new
// choice redraws what is on screen, without asking the server again.
setLang(chooseLang());
wireLangButtons(document);
onLangChange(() => {
  if (incidents) incidents.render();
  if (last && !$('#app').hidden) render(last);
});

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
