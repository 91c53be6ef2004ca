// The residents' page (/request, 点单): a resident or a family member asks
// for help in four steps (what, where, phone with an SMS code, done) and
// keeps a link (/request/s/{token}) that shows the progress, refreshed
// every 20 seconds. Large type and big buttons for a cheap phone; the map
// is a help, never a need: "use my location" and the address work alone.
import 'leaflet/dist/leaflet.css';
import './request.css';
import L from 'leaflet';
import { $, h, replace } from '../lib/dom.js';
import { APIError, createAPI } from '../lib/api.js';
import { chooseLang, lang, onLangChange, setLang, t, timeZone } from '../lib/i18n.js';
import { createMap, pageConfig } from '../lib/basemap.js';
import '../lib/words.js';
import './messages.js';
import { wireLangButtons } from '../console/langswitch.js';
import { icon } from './icons.js';

// The categories a resident may pick (mobilize.ResidentCategories).
const CATEGORIES = ['medical', 'medicine_delivery', 'food_delivery', 'elderly_checkin', 'escort',
  'evacuation_assist', 'trapped_person', 'psychological_support', 'shopping', 'other'];
const REFRESH_MS = 20000;

const api = createAPI(() => '');
const form = { step: 1, category: '', description: '', forWhom: 'self', lat: null, lng: null, address: '', phone: '', ticket: '', code: '', name: '', notify: true };
let placeNote = '';
let problem = '';
let busy = false;
let created = null;

// errorWord says a refusal in plain words.
function errorWord(err) {
  if (!(err instanceof APIError)) return t('request.error.other');
  if (err.code === 'network') return t('request.error.network');
  const known = ['phone_invalid', 'code_wrong', 'code_expired', 'code_tries_exhausted', 'too_many_codes',
    'too_many_requests_phone', 'too_many_requests_place', 'rate_limited', 'outside_region'];
  if (known.includes(err.code)) return t(`request.error.${err.code}`);
  if (err.status === 400) return t('request.error.invalid', { message: err.message });
  return t('request.error.other');
}

const root = () => $('#app');

function go(step) {
  form.step = step;
  problem = '';
  draw();
  const heading = $('#app h2');
  if (heading) heading.focus();
}

function stepHeader(key) {
  return [h('p', { class: 'stepno' }, t('request.steps', { n: form.step })), h('h2', { tabindex: '-1' }, t(key))];
}

function alertBox() {
  return h('p', { id: 'problem', class: 'problem', role: 'alert' }, problem);
}

function drawWhat() {
  const grid = h('div', { class: 'cats', role: 'radiogroup', 'aria-label': t('request.what.category') },
    CATEGORIES.map((c) => h('button', {
      type: 'button', class: 'cat', role: 'radio', 'aria-checked': String(form.category === c), dataset: { category: c },
      onclick: () => { form.category = c; problem = ''; draw(); $(`[data-category="${c}"]`).focus(); },
    }, h('img', { class: 'icon', src: icon(c, form.category === c ? '#ffffff' : '#0b4f9c'), alt: '', width: 40, height: 40 }), h('span', {}, t(`category.${c}`)))));
  const desc = h('textarea', { id: 'description', rows: 4, maxlength: 1000, 'aria-describedby': 'description-help',
    oninput: (e) => { form.description = e.target.value; } });
  desc.value = form.description;
  const whom = (v, key) => h('label', { class: 'choice' },
    h('input', { type: 'radio', name: 'for-whom', value: v, checked: form.forWhom === v, onchange: () => { form.forWhom = v; } }), t(key));
  return [
    ...stepHeader('request.what.title'),
    h('p', { class: 'label' }, t('request.what.category')), grid,
    h('label', { for: 'description', class: 'label' }, t('request.what.description')), desc,
    h('p', { id: 'description-help', class: 'help' }, t('request.what.description.help')),
    h('fieldset', {}, h('legend', {}, t('request.what.forWhom')), whom('self', 'request.what.self'), whom('family', 'request.what.family')),
    alertBox(),
    h('div', { class: 'nav' }, h('button', { type: 'button', id: 'next', class: 'primary', onclick: () => {
      if (!form.category || !form.description.trim()) {
        problem = !form.category ? t('request.what.category') : t('request.what.description');
        draw();
        return;
      }
      go(2);
    } }, t('request.next'))),
  ];
}

function setPlace(lat, lng, note) {
  form.lat = Math.round(lat * 1e6) / 1e6;
  form.lng = Math.round(lng * 1e6) / 1e6;
  placeNote = note;
  problem = '';
}

function locate() {
  if (!navigator.geolocation) {
    placeNote = t('request.where.noLocation');
    draw();
    return;
  }
  placeNote = t('request.where.locating');
  draw();
  navigator.geolocation.getCurrentPosition(
    (pos) => { setPlace(pos.coords.latitude, pos.coords.longitude, t('request.where.located')); draw(); },
    () => { placeNote = t('request.where.noLocation'); draw(); },
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
}

// The map is drawn once per visit to the step; a failure leaves the
// location button and the address.
function mountMap(el) {
  try {
    const map = createMap(el, pageConfig(), { zoomControl: true });
    let marker = null;
    const mark = (ll) => {
      if (marker) marker.setLatLng(ll);
      else marker = L.circleMarker(ll, { radius: 12, color: '#b00020', weight: 4, fillOpacity: 0.6 }).addTo(map);
    };
    if (form.lat !== null) {
      mark([form.lat, form.lng]);
      map.setView([form.lat, form.lng], 16);
    }
    map.on('click', (e) => {
      setPlace(e.latlng.lat, e.latlng.lng, t('request.where.picked'));
      mark(e.latlng);
      $('#place-note').textContent = placeNote;
    });
  } catch {
    el.hidden = true;
  }
}

function drawWhere() {
  const address = h('input', { id: 'address', type: 'text', maxlength: 200, autocomplete: 'street-address',
    oninput: (e) => { form.address = e.target.value; } });
  address.value = form.address;
  const mapEl = h('div', { id: 'map', class: 'map', role: 'application', 'aria-label': t('request.where.map') });
  queueMicrotask(() => mountMap(mapEl));
  return [
    ...stepHeader('request.where.title'),
    h('button', { type: 'button', id: 'locate', class: 'big', onclick: locate }, t('request.where.locate')),
    h('p', { id: 'place-note', class: 'note', role: 'status', 'aria-live': 'polite' }, placeNote),
    h('p', { class: 'help' }, t('request.where.mapHelp')), mapEl,
    h('label', { for: 'address', class: 'label' }, t('request.where.address')), address,
    alertBox(),
    h('div', { class: 'nav' },
      h('button', { type: 'button', onclick: () => go(1) }, t('request.back')),
      h('button', { type: 'button', id: 'next', class: 'primary', onclick: () => {
        if (form.lat === null) {
          problem = t('request.where.needPlace');
          draw();
          return;
        }
        go(3);
      } }, t('request.next'))),
  ];
}

async function sendCode() {
  if (busy) return;
  busy = true;
  problem = '';
  try {
    const r = await api.post('/api/v1/requests/code', { phone: form.phone });
    form.ticket = r.ticket;
    placeNote = t('request.phone.sent');
  } catch (err) {
    problem = errorWord(err);
  }
  busy = false;
  draw();
  $(form.ticket && !problem ? '#code' : '#phone').focus();
}

async function submit() {
  if (busy) return;
  if (!form.ticket || !/^[0-9]{6}$/.test(form.code)) {
    problem = t('request.phone.needCode');
    draw();
    return;
  }
  busy = true;
  problem = '';
  draw();
  try {
    const body = { ticket: form.ticket, code: form.code, category: form.category, description: form.description.trim(),
      lat: form.lat, lng: form.lng, for_whom: form.forWhom, notify: form.notify };
    if (form.address.trim()) body.address = form.address.trim();
    if (form.name.trim()) body.name = form.name.trim();
    created = await api.post('/api/v1/requests', body);
    busy = false;
    go(4);
    return;
  } catch (err) {
    problem = errorWord(err);
    if (err instanceof APIError && ['code_expired', 'code_tries_exhausted'].includes(err.code)) form.ticket = '';
  }
  busy = false;
  draw();
}

function drawPhone() {
  const input = (id, attrs, field) => {
    const el = h('input', { id, ...attrs, oninput: (e) => { form[field] = e.target.value.trim(); } });
    el.value = form[field];
    return el;
  };
  const notify = h('input', { id: 'notify', type: 'checkbox', checked: form.notify, onchange: (e) => { form.notify = e.target.checked; } });
  return [
    ...stepHeader('request.phone.title'),
    h('label', { for: 'phone', class: 'label' }, t('request.phone.number')),
    input('phone', { type: 'tel', inputmode: 'tel', autocomplete: 'tel', maxlength: 20 }, 'phone'),
    h('button', { type: 'button', id: 'send-code', class: 'big', disabled: busy }, t('request.phone.send')),
    h('p', { class: 'note', role: 'status', 'aria-live': 'polite' }, form.ticket ? placeNote : ''),
    h('label', { for: 'code', class: 'label' }, t('request.phone.code')),
    input('code', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6, pattern: '[0-9]*' }, 'code'),
    h('label', { for: 'name', class: 'label' }, t('request.phone.name')),
    input('name', { type: 'text', autocomplete: 'name', maxlength: 64 }, 'name'),
    h('label', { class: 'choice' }, notify, t('request.phone.notify')),
    alertBox(),
    h('div', { class: 'nav' },
      h('button', { type: 'button', onclick: () => go(2) }, t('request.back')),
      h('button', { type: 'button', id: 'submit', class: 'primary', disabled: busy }, busy ? t('request.sending') : t('request.phone.submit'))),
  ];
}

function drawDone() {
  const url = new URL(created.status_url, location.href).href;
  return [
    h('p', { class: 'stepno' }, t('request.steps', { n: 4 })),
    h('h2', { tabindex: '-1' }, t('request.done.title')),
    h('p', { class: 'lead' }, t('request.done.text')),
    h('p', {}, t('request.done.save')),
    h('p', { class: 'link' }, h('a', { id: 'status-link', href: created.status_url }, url)),
    h('a', { class: 'big button primary', href: created.status_url }, t('request.done.open')),
  ];
}

function draw() {
  const parts = { 1: drawWhat, 2: drawWhere, 3: drawPhone, 4: drawDone }[form.step]();
  replace(root(), h('p', { class: 'emergency' }, t('request.emergency')), ...parts);
  const send = $('#send-code');
  if (send) send.addEventListener('click', sendCode);
  const sub = $('#submit');
  if (sub) sub.addEventListener('click', submit);
}

// The status link.

const fmtTime = (iso) => new Intl.DateTimeFormat(lang(), { timeZone: timeZone(), month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' }).format(new Date(iso));

function statusParts(s) {
  const out = [h('p', { class: `status status-${s.status}` }, t(`resident.${s.status}`))];
  if (s.status === 'staffed' || s.status === 'accepted' || s.status === 'completed') {
    out.push(h('p', { class: 'lead' }, t('request.status.coming', { count: s.coming }), ' · ', t('request.status.asked', { count: s.asked })));
  }
  if (s.reason) out.push(h('p', { class: 'lead' }, t('request.status.reason', { reason: s.reason })));
  if (s.merged) out.push(h('p', { class: 'lead' }, t('request.status.mergedInto', { status: t(`resident.${s.merged.status}`) })));
  return out;
}

let lastStatus = null;
let lastError = '';
let updatedAt = null;

function drawStatus() {
  const parts = [h('h2', { tabindex: '-1' }, t('request.status.title'))];
  if (lastStatus) {
    parts.push(h('div', { role: 'status', 'aria-live': 'polite' }, statusParts(lastStatus)));
    parts.push(h('h3', {}, t('request.status.history')),
      h('ol', { class: 'history' }, lastStatus.steps.map((st) => h('li', {}, h('span', { class: 'when' }, fmtTime(st.at)), ' ', t(`resident.${st.status}`)))));
  }
  if (lastError) parts.push(h('p', { class: 'problem', role: 'alert' }, lastError));
  parts.push(h('p', { class: 'help' }, t('request.status.refresh'), ' ', updatedAt ? t('request.status.updated', { time: fmtTime(updatedAt) }) : ''));
  replace(root(), h('p', { class: 'emergency' }, t('request.emergency')), ...parts);
}

async function poll(token) {
  try {
    lastStatus = await api.get(`/api/v1/requests/${encodeURIComponent(token)}`);
    lastError = '';
    updatedAt = new Date().toISOString();
  } catch (err) {
    lastError = err instanceof APIError && err.status === 404 ? t('request.status.unknown') : errorWord(err);
  }
  drawStatus();
}

function start() {
  setLang(chooseLang());
  wireLangButtons(document);
  const m = location.pathname.match(/^\/request\/s\/([0-9a-f]{32})$/);
  if (m) {
    onLangChange(drawStatus);
    poll(m[1]);
    setInterval(() => poll(m[1]), REFRESH_MS);
    return;
  }
  onLangChange(draw);
  draw();
}

start();
