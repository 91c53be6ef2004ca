// The responder page (/respond): a phone-friendly page for a volunteer
// with nothing but a browser. It shares the phone's position, goes on and
// off duty, shows offers with a countdown, and guides the accepted job to
// "Done". It survives sleep: the socket reconnects with last_id and the
// page lists what arrived meanwhile.
import 'leaflet/dist/leaflet.css';
import './respond.css';
import L from 'leaflet';
import { $, h, replace, text } from '../lib/dom.js';
import { createAPI, Features } from '../lib/api.js';
import { createMap, pageConfig } from '../lib/basemap.js';
import { LiveSocket } from '../lib/socket.js';
import { category, distance, withdrawnText } from '../lib/format.js';
import { clearSession, obtainSession, renewIn, renewSession } from './session.js';
import { ServiceCard } from './record.js';
import { INBOX_TYPES, Inbox } from './inbox.js';
import { loadState, saveState } from './state.js';
import { Locator } from './location.js';
import { Activity } from './activity.js';
import { jobCard, offerCard, tick } from './cards.js';

const DONE_LINGER_MS = 120000;

const state = loadState();
const pending = new Map(); // socket message id -> {kind, offerID}
let sess = null;
let renewTimer = 0; // the session's next renewal
let lastUnavailableToast = 0;
let api = null;
let service = null; // the hours and service record card
let features = null;
let me = '';
let socket = null;
let inbox = null;
let skew = 0; // server clock minus ours
let welcomedAt = 0; // server time of this socket's welcome
let map = null;
let meMarker = null;
let pinMarker = null;
const jobMarkers = L.layerGroup();
let centred = false;

const now = () => Date.now() + skew;

function persist() {
  saveState(state);
}

const activity = new Activity(state.log, persist);

// log adds to the activity list; a message stamped before this socket's
// welcome waited in the inbox while the phone was away.
function log(text, env) {
  const at = env && env.ts ? Date.parse(env.ts) : now();
  activity.add(text, at, Boolean(env && welcomedAt && at < welcomedAt));
}

function toast(text, isError = false) {
  const el = $('#toast');
  el.textContent = text;
  el.className = isError ? 'show error' : 'show';
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.className = ''; }, 5000);
}

// --- offers and the job in hand ---------------------------------------

function render() {
  const t = now();
  replace($('#offers'), Object.values(state.offers).map((o) => offerCard(o, { now: t, onAccept: accept, onDecline: decline })));
  replace($('#jobs'), Object.values(state.jobs).map((j) => jobCard(j, me, { onDone: done })));
  document.body.dataset.offers = String(Object.keys(state.offers).length);
  jobMarkers.clearLayers();
  // An offer shows only its area (the need's H3 cell, approximately): the
  // exact point comes with the accept's answer or the assignment.
  for (const o of Object.values(state.offers)) {
    const a = o.approx;
    if (!a || !Number.isFinite(a.lat) || !Number.isFinite(a.lng)) continue;
    L.circle([a.lat, a.lng], { radius: approxRadius(a.resolution), className: 'offer-area', color: '#e08214', dashArray: '4 6', weight: 2, fillOpacity: 0.12 })
      .bindTooltip(text(`${category(o.category)} · roughly here`)).addTo(jobMarkers);
    if (meMarker) L.polyline([meMarker.getLatLng(), [a.lat, a.lng]], { color: '#e08214', dashArray: '2 6', weight: 2 }).addTo(jobMarkers);
  }
  for (const j of Object.values(state.jobs)) {
    if (j.done || !hasPlace(j)) continue;
    L.marker([j.lat, j.lng], { icon: L.divIcon({ className: 'job-pin', html: h('span', {}), iconSize: [26, 26], iconAnchor: [13, 26] }) })
      .bindTooltip(text(category(j.category))).addTo(jobMarkers);
    if (meMarker) L.polyline([meMarker.getLatLng(), [j.lat, j.lng]], { color: '#6a3d9a', dashArray: '4 6', weight: 2 }).addTo(jobMarkers);
  }
  persist();
}

// hasPlace: the job's exact point is known (the accept's answer or the
// assignment brought it).
function hasPlace(j) {
  return Number.isFinite(j.lat) && Number.isFinite(j.lng);
}

// approxRadius is about the circumradius of an H3 cell of resolution res,
// in metres (res 8: ~530 m).
function approxRadius(res) {
  return 530 * 2.65 ** (8 - (Number.isInteger(res) ? res : 8));
}

function answer(o, verb) {
  o.busy = true;
  o.error = '';
  render();
  const id = socket.send(verb, { offer_id: o.offer_id });
  if (id) {
    pending.set(id, { kind: verb, offerID: o.offer_id });
    return;
  }
  api.post(`/api/v1/offers/${encodeURIComponent(o.offer_id)}/${verb}`)
    .then((res) => answered(o.offer_id, verb, res && res.place))
    .catch((err) => {
      // Answered already (a retry after a lost reply): the job stands; its
      // place comes with the assignment.
      if (err.status === 409 && err.state === 'accepted' && verb === 'accept') answered(o.offer_id, verb);
      else if (err.status === 404 || err.status === 409) refused(o.offer_id, 'the offer is no longer open');
      else if (err.status === 503 || !err.status) notTaken(o.offer_id, 'the server cannot answer right now; try again in a moment.');
      else refused(o.offer_id, err.message);
    });
}

const accept = (o) => answer(o, 'accept');
const decline = (o) => answer(o, 'decline');

// answered moves an offer to the jobs (accept) or drops it (decline); an
// accept's place ({lat, lng, description}) is where the job is exactly.
function answered(offerID, verb, place) {
  const o = state.offers[offerID];
  if (!o) return;
  delete state.offers[offerID];
  if (verb === 'accept') {
    const exact = place && Number.isFinite(place.lat) ? { lat: place.lat, lng: place.lng, description: place.description || '' } : {};
    state.jobs[o.need_id] = { ...state.jobs[o.need_id], ...o, ...exact, busy: false, acceptedAt: now() };
    log(`Accepted: ${category(o.category)}`);
  } else {
    log(`Declined: ${category(o.category)}`);
  }
  render();
}

function refused(offerID, message) {
  const o = state.offers[offerID];
  if (!o) return;
  o.busy = false;
  o.error = `Could not answer: ${message}`;
  render();
  setTimeout(() => { delete state.offers[offerID]; render(); }, 4000);
}

// notTaken keeps an offer whose answer did not get through (the server
// could not answer, say while its data store restarts): the offer is still
// open, so the buttons stay for another try.
function notTaken(offerID, message) {
  const o = state.offers[offerID];
  if (!o) return;
  o.busy = false;
  o.error = `Not sent: ${message}`;
  render();
}

async function done(j, note) {
  j.busy = true;
  j.error = '';
  render();
  try {
    if (features.has('post', '/api/v1/needs/{id}/complete')) {
      await api.post(`/api/v1/needs/${encodeURIComponent(j.need_id)}/complete`, { note });
    } else if (!socket.send('complete', { need_id: j.need_id, note })) {
      throw new Error('offline; try again when connected');
    }
    j.done = true;
    j.doneAt = now();
    log(`Done: ${category(j.category)}`);
    if (service) service.refresh();
  } catch (err) {
    j.error = `Not reported: ${err.message}`;
  }
  j.busy = false;
  render();
}

// --- messages -----------------------------------------------------------

function message(env) {
  const d = env.data || {};
  if (INBOX_TYPES.has(env.type) && !inbox.take(env)) return; // seen before
  switch (env.type) {
    case 'welcome':
      if (d.server_time) {
        welcomedAt = Date.parse(d.server_time);
        skew = welcomedAt - Date.now();
      }
      document.body.dataset.connected = '1';
      locator.resend();
      refreshStatus();
      syncJobs();
      break;
    case 'offer':
      if (Date.parse(d.expires_at) > now()) state.offers[d.offer_id] = { ...d };
      log(`Offer: ${category(d.category)}, ${distance(d.distance_m)} away`, env);
      if (navigator.vibrate) navigator.vibrate([200, 100, 200]);
      render();
      break;
    case 'offer_withdrawn': {
      const o = state.offers[d.offer_id];
      delete state.offers[d.offer_id];
      const j = state.jobs[d.need_id];
      if (j && !j.done && (d.reason === 'cancelled' || d.reason === 'unstaffed')) delete state.jobs[d.need_id];
      log(`Offer withdrawn${o ? ` (${category(o.category)})` : ''}: ${withdrawnText(d.reason)}`, env);
      render();
      break;
    }
    case 'assignment':
      state.jobs[d.need_id] = { ...state.jobs[d.need_id], ...d };
      log(`Team complete: ${category(d.category || state.jobs[d.need_id].category)}`, env);
      render();
      break;
    case 'alert':
      showAlert(d);
      log(`Alert: ${d.message || ''}`, env);
      break;
    case 'answered': {
      const p = [...pending.entries()].find(([, v]) => v.offerID === d.offer_id);
      if (p) pending.delete(p[0]);
      answered(d.offer_id, d.answer === 'accept' ? 'accept' : 'decline', d.place);
      break;
    }
    case 'error': {
      const p = pending.get(env.id);
      const unavailable = d.code === 'unavailable';
      if (p) {
        pending.delete(env.id);
        if (d.code === 'conflict' && p.kind === 'accept' && /already accepted/.test(d.message || '')) answered(p.offerID, 'accept');
        else if (d.code === 'not_found' || d.code === 'invalid_transition' || d.code === 'conflict') refused(p.offerID, 'the offer is no longer open');
        else if (unavailable) notTaken(p.offerID, 'the server cannot answer right now; try again in a moment.');
        else refused(p.offerID, d.message);
      } else if (!unavailable || now() - lastUnavailableToast > 30000) {
        // A restarting server refuses every position sent meanwhile: say
        // so once, not with every GPS fix.
        if (unavailable) lastUnavailableToast = now();
        toast(d.message || d.code, true);
      }
      break;
    }
    case 'resync':
      inbox.forget();
      syncOffers();
      syncJobs();
      log('Some updates were lost while offline; offers reloaded');
      break;
    default:
  }
}

function showAlert(d) {
  const el = h('article', { class: 'card alert-card', dataset: { alertId: d.alert_id || '' } },
    h('h2', {}, 'Alert for your area'), h('p', {}, d.message || ''),
    h('button', { onclick: () => el.remove() }, 'OK'));
  $('#alerts').append(el);
  if (navigator.vibrate) navigator.vibrate([400, 100, 400]);
}

// syncJobs reads the needs this responder accepted, with their exact
// places, so that a page that lost its state (a new tab, a resync) still
// knows where to go.
async function syncJobs() {
  if (!features || !features.has('get', '/api/v1/responders/{id}/jobs')) return;
  try {
    const res = await api.get(`/api/v1/responders/${encodeURIComponent(me)}/jobs`);
    for (const j of res.jobs || []) {
      const { team, ...rest } = j;
      state.jobs[j.need_id] = { ...state.jobs[j.need_id], ...rest, ...(j.status === 'staffed' ? { team } : {}) };
    }
    render();
  } catch {
    // the assignment will bring the place
  }
}

// syncOffers rebuilds the pending offers from the API after a resync.
async function syncOffers() {
  try {
    const res = await api.get(`/api/v1/responders/${encodeURIComponent(me)}/offers`);
    state.offers = {};
    for (const o of res.offers || []) state.offers[o.offer_id] = o;
    render();
  } catch {
    // the next offer will come over the socket
  }
}

// --- duty and location ----------------------------------------------------

async function refreshStatus() {
  try {
    const r = await api.get(`/api/v1/responders/${encodeURIComponent(me)}`);
    setDuty(r.status !== 'off_duty');
    $('#who').textContent = `${r.name || me} · ${r.role ? r.role.replace(/_/g, ' ') : ''}`;
    if (!locator.pos && Number.isFinite(r.lat) && Number.isFinite(r.lng)) placeMe({ lat: r.lat, lng: r.lng }, null);
  } catch {
    // keep what is shown
  }
}

function setDuty(on) {
  $('#duty').checked = on;
  $('#duty-label').textContent = on ? 'Available' : 'Off duty';
  document.body.dataset.duty = on ? 'available' : 'off_duty';
}

async function dutyChanged() {
  const on = $('#duty').checked;
  setDuty(on);
  try {
    await api.put(`/api/v1/responders/${encodeURIComponent(me)}/status`, { status: on ? 'available' : 'off_duty' });
  } catch (err) {
    setDuty(!on);
    toast(`Could not change: ${err.message}`, true);
  }
}

function report(pos) {
  const body = { lat: Number(pos.lat.toFixed(6)), lng: Number(pos.lng.toFixed(6)) };
  if (socket && socket.send('location', body)) return;
  if (api) api.put(`/api/v1/responders/${encodeURIComponent(me)}/location`, body).catch(() => {});
}

function placeMe(pos, accuracy) {
  if (!meMarker) {
    meMarker = L.circleMarker([pos.lat, pos.lng], { radius: 8, color: '#fff', weight: 2, fillColor: '#1f78d1', fillOpacity: 1 }).addTo(map);
  }
  meMarker.setLatLng([pos.lat, pos.lng]);
  if (!centred) {
    map.setView([pos.lat, pos.lng], 14);
    centred = true;
  }
}

const locator = new Locator(report, ({ mode, pos, accuracy }) => {
  if (pos) placeMe(pos, accuracy);
  const text = {
    gps: pos ? `Sharing your position (±${Math.round(accuracy || 0)} m)` : 'Finding your position…',
    manual: 'Using the position you set on the map',
    waiting: 'Finding your position…',
    denied: 'Location is off for this page. Tap the map where you are, then “I am here”.',
    unavailable: 'Your position cannot be found. Tap the map where you are, then “I am here”.',
    unsupported: 'This browser cannot share a position. Tap the map where you are, then “I am here”.',
  }[mode];
  $('#where').textContent = text;
  document.body.dataset.location = mode;
  $('#use-gps').hidden = mode !== 'manual' || !('geolocation' in navigator);
  if (mode === 'denied' || mode === 'unavailable' || mode === 'unsupported') $('#pin-hint').hidden = false;
});

function mapClicked(e) {
  if (!pinMarker) {
    pinMarker = L.marker(e.latlng, { draggable: true, icon: L.divIcon({ className: 'pin', html: h('span', {}), iconSize: [20, 20], iconAnchor: [10, 20] }) }).addTo(map);
  }
  pinMarker.setLatLng(e.latlng);
  $('#i-am-here').hidden = false;
}

// --- start ------------------------------------------------------------------

// keepSessionAlive renews the session before it ends and moves the live
// socket onto the new token (the server checks a socket against the token
// it was opened with). A refusal other than 401 (Redis restarting, no
// network) is tried again shortly; a 401 ends the session.
function keepSessionAlive() {
  clearTimeout(renewTimer);
  renewTimer = setTimeout(async () => {
    try {
      sess = await renewSession(sess);
      if (socket) socket.reconnectNow();
      keepSessionAlive();
    } catch (err) {
      if (err.status === 401) {
        ended();
        return;
      }
      const left = Date.parse(sess.expires_at) - now();
      renewTimer = setTimeout(keepSessionAlive, Math.max(1000, Math.min(30000, left / 4)));
    }
  }, renewIn(sess, now()));
}

function ended() {
  clearTimeout(renewTimer);
  clearSession();
  if (socket) socket.stop();
  $('#app').hidden = true;
  replace($('#nosession'), h('h1', {}, 'Your session has ended'), h('p', {}, 'Open the link you were sent again to continue.'));
  $('#nosession').hidden = false;
}

// replaced tells the person that another screen of theirs took over the
// live connection (the server keeps a few per person and closed this
// page's, the oldest), and lets them take it back here.
function replaced() {
  const use = h('button', { type: 'button' }, '在此使用 Use it here');
  const note = h('div', { class: 'replaced', role: 'alert' },
    h('span', {}, '本页已在另一块屏幕上打开，这里暂停接收。 This page is open on another screen; this one has stopped receiving. '), use);
  use.addEventListener('click', () => {
    note.remove();
    socket.start();
  });
  document.body.prepend(note);
}

async function start() {
  features = await Features.load();
  sess = await obtainSession(features).catch(() => null);
  if (!sess) {
    $('#nosession').hidden = false;
    return;
  }
  me = sess.responder_id;
  document.body.dataset.responderId = me;
  $('#who').textContent = me;
  $('#app').hidden = false;
  api = createAPI(() => sess.token, ended);
  if (features.has('get', '/api/v1/responders/{id}/hours')) {
    service = new ServiceCard($('#service'), api, me, () => sess.token);
    service.refresh();
  }
  map = createMap($('#map'), pageConfig(), { zoomControl: true });
  jobMarkers.addTo(map);
  map.on('click', mapClicked);
  $('#duty').addEventListener('change', dutyChanged);
  $('#i-am-here').addEventListener('click', () => {
    if (!pinMarker) return;
    locator.pin(pinMarker.getLatLng());
    map.removeLayer(pinMarker);
    pinMarker = null;
    $('#i-am-here').hidden = true;
    toast('Position set.');
  });
  $('#use-gps').addEventListener('click', () => locator.useGPS());
  socket = new LiveSocket({
    token: () => sess.token,
    lastID: () => inbox.lastID,
    onMessage: message,
    onState: (s) => {
      $('#conn').className = `conn ${s}`;
      $('#conn').title = { open: 'connected', connecting: 'connecting…', closed: 'offline, reconnecting' }[s];
      if (s !== 'open') delete document.body.dataset.connected;
      if (s !== 'open') welcomedAt = 0;
    },
    onUnauthorized: ended,
    onReplaced: replaced,
    verify: () => api.get(`/api/v1/responders/${encodeURIComponent(me)}`),
  });
  inbox = new Inbox((type, data) => socket.send(type, data));
  activity.render();
  render();
  socket.start();
  keepSessionAlive();
  locator.start();
  setInterval(() => {
    const t = now();
    for (const id of tick($('#offers'), t)) {
      const o = state.offers[id];
      if (o && !o.busy && Date.parse(o.expires_at) < t - 1000) {
        delete state.offers[id];
        log(`Offer expired: ${category(o.category)}`);
        render();
      }
    }
    for (const [id, j] of Object.entries(state.jobs)) {
      if (j.done && t - j.doneAt > DONE_LINGER_MS) {
        delete state.jobs[id];
        render();
      }
    }
  }, 500);
  window.liandong = { state, map, socket }; // for the curious, and for tests
}

start().catch((err) => {
  document.body.append(h('p', { class: 'fatal' }, `The page failed to start: ${err.message}`));
  throw err;
});
