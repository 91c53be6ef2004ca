// The responder page (/respond): a phone-friendly page for a volunteer
// with nothing but a browser. It shares the phone's position, goes on and
// off duty, shows offers with a countdown, and guides the accepted job to
// "Done". It survives sleep: the socket reconnects with last_id and the
// page lists what arrived meanwhile. It installs as an app (install.js,
// sw.js) that opens offline with the last known offers and jobs, keeps
// answers given offline until the network returns, and can notify the
// responder of offers while closed (notify.js).
import 'leaflet/dist/leaflet.css';
import '../lib/fonts.css';
import './respond.css';
import L from 'leaflet';
import { $, h, replace, text } from '../lib/dom.js';
import { createAPI, Features } from '../lib/api.js';
import { createMap, pageConfig } from '../lib/basemap.js';
import { LiveSocket } from '../lib/socket.js';
import { chooseLang, has, lang, onLangChange, setLang, t } from '../lib/i18n.js';
import { category, dateTime, distance, roleName, timeOfDay, urgencyName, withdrawnText } from '../lib/format.js';
import { errorText } from '../lib/errors.js';
import './messages.js';
import { clearSession, obtainSession, renewIn, renewSession } from './session.js';
import { ServiceCard } from './record.js';
import { INBOX_TYPES, Inbox } from './inbox.js';
import { loadState, saveState } from './state.js';
import { Locator } from './location.js';
import { Activity } from './activity.js';
import { jobCard, offerCard, showWay, tick } from './cards.js';
import { towards } from './direction.js';
import { Device } from './install.js';
import { Notifications } from './notify.js';
import { Field } from './field.js';
import { showNudge } from './nudge.js';

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
const wayLayer = L.layerGroup(); // the line and arrow from the phone to each job
const fitted = new Set(); // jobs the map has been fitted to
let centred = false;
let who = null; // the responder as the API describes them
let located = null; // the locator's last state
let connState = 'connecting';
let device = null; // what the installed app keeps on the phone
let notifications = null;

const now = () => Date.now() + skew;
let field = null; // on scene and the team thread (field.js)

// persist keeps what is shown for a reload (and, for the installed app,
// on the device); while the socket is open what is shown is what the
// server says, so that is when it was last known.
function persist() {
  if (connState === 'open') state.seenAt = now();
  saveState(state);
  if (device) device.snapshot(state);
}

const activity = new Activity(state.log, persist);

// log adds to the activity list (a catalogue key and its data); a message
// stamped before this socket's welcome waited in the inbox while the phone
// was away.
function log(key, params, env) {
  const at = env && env.ts ? Date.parse(env.ts) : now();
  activity.add(key, params, at, Boolean(env && welcomedAt && at < welcomedAt));
}

// announce tells a screen reader what changed: politely for offers and
// teams, assertively for what stops the page working.
// announce says words through a live region. Each message is added as an
// element of its own, so that two in quick succession (the way to go,
// then the team complete) are both said, and the same words twice are
// said twice; the region keeps the last few.
function announce(words, urgent = false) {
  const el = $(urgent ? '#announce-urgent' : '#announce');
  setTimeout(() => {
    el.append(h('p', {}, words));
    while (el.childElementCount > 3) el.firstElementChild.remove();
  }, 50);
}

function toast(text, isError = false) {
  const el = $('#toast');
  el.textContent = text;
  el.className = isError ? 'show error' : 'show';
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.className = ''; }, 5000);
  announce(text, isError);
}

// --- offers and the job in hand ---------------------------------------

function render() {
  const at = now();
  replace($('#offers'), Object.values(state.offers).map((o) => offerCard(o, { now: at, onAccept: accept, onDecline: decline, onDismiss: dismiss })));
  replace($('#jobs'), Object.values(state.jobs).map((j) => jobCard(j, me, { onDone: done, way: towards(here(), j).words })));
  if (field) for (const card of $('#jobs').querySelectorAll('.job-card')) card.append(field.panel(state.jobs[card.dataset.needId]));
  document.body.dataset.offers = String(Object.keys(state.offers).length);
  jobMarkers.clearLayers();
  // An offer shows only its area (the need's H3 cell, approximately): the
  // exact point comes with the accept's answer or the assignment.
  for (const o of Object.values(state.offers)) {
    const a = o.approx;
    if (!a || !Number.isFinite(a.lat) || !Number.isFinite(a.lng)) continue;
    L.circle([a.lat, a.lng], { radius: approxRadius(a.resolution), className: 'offer-area', color: '#e08214', dashArray: '4 6', weight: 2, fillOpacity: 0.12 })
      .bindTooltip(text(t('respond.offer.roughly_here', { cat: category(o.category) }))).addTo(jobMarkers);
    if (meMarker) L.polyline([meMarker.getLatLng(), [a.lat, a.lng]], { color: '#e08214', dashArray: '2 6', weight: 2 }).addTo(jobMarkers);
  }
  for (const j of Object.values(state.jobs)) {
    if (j.done || !hasPlace(j)) continue;
    L.marker([j.lat, j.lng], { title: category(j.category), icon: L.divIcon({ className: 'job-pin', html: h('span', {}), iconSize: [26, 26], iconAnchor: [13, 26] }) })
      .bindTooltip(text(category(j.category))).addTo(jobMarkers);
  }
  drawWays();
  persist();
  drawLastKnown();
}

// drawLastKnown marks the offers and jobs shown as last known, with the
// time, while the page is not connected (offline, or opened offline).
function drawLastKnown() {
  const shown = Object.keys(state.offers).length + Object.keys(state.jobs).length > 0;
  const stale = connState !== 'open' && shown && Boolean(state.seenAt);
  const el = $('#last-known');
  el.hidden = !stale;
  el.textContent = stale ? t('respond.last_known', { time: timeOfDay(state.seenAt) }) : '';
  document.body.classList.toggle('stale', stale);
}

// here is the phone's position as the map shows it, or null.
function here() {
  if (!meMarker) return null;
  const p = meMarker.getLatLng();
  return { lat: p.lat, lng: p.lng };
}

// drawWays draws, for each job in hand whose exact place is known, the way
// from the phone to it: a line with an arrow turned towards the need on
// it, and the distance and direction in words in a box at the top of the
// map (a box over the line itself would hide the phone's end on a small
// screen with large text) and on the job card; it runs again with every
// position, so the words follow the phone. The map is fitted to both
// points, clear of the box and the attribution, when a job first shows and
// whenever one of them leaves the view; the words are announced once per
// job.
function drawWays() {
  wayLayer.clearLayers();
  const from = here();
  const rows = [];
  const ways = [];
  for (const j of Object.values(state.jobs)) {
    if (j.done || !hasPlace(j)) continue;
    const way = towards(from, j);
    showWay($('#jobs'), j.need_id, way.words);
    if (!way.words) continue;
    const ends = [[from.lat, from.lng], [j.lat, j.lng]];
    const degrees = way.degrees.toFixed(0);
    ways.push({ j, ends, way });
    L.polyline(ends, { className: 'job-way', color: '#6a3d9a', weight: 4, opacity: 0.9, interactive: false }).addTo(wayLayer);
    L.marker([(from.lat + j.lat) / 2, (from.lng + j.lng) / 2], {
      interactive: false,
      keyboard: false,
      icon: L.divIcon({ className: 'job-arrow', html: h('span', { 'aria-hidden': 'true', style: `transform: rotate(${degrees}deg)` }, '↑'), iconSize: [28, 28] }),
    }).addTo(wayLayer);
    rows.push(h('p', { dataset: { needId: j.need_id, degrees } },
      h('span', { class: 'arrow', 'aria-hidden': 'true', style: `transform: rotate(${degrees}deg)` }, '↑'), h('span', { class: 'words' }, way.words)));
  }
  const box = wayBox.getContainer();
  if (box) {
    replace(box, rows);
    box.hidden = rows.length === 0;
  }
  // With a way to show the map grows, so that on a small phone with large
  // text the line keeps room between the words and the attribution.
  const el = map.getContainer();
  if (el.classList.contains('has-way') !== (rows.length > 0)) {
    el.classList.toggle('has-way', rows.length > 0);
    map.invalidateSize({ pan: false });
  }
  const view = map.getBounds();
  for (const { j, ends, way } of ways) {
    if (!fitted.has(j.need_id) || !view.contains(ends[0]) || !view.contains(ends[1])) {
      fitted.add(j.need_id);
      const above = box ? box.offsetHeight : 0;
      const below = map.attributionControl ? map.attributionControl.getContainer().offsetHeight : 0;
      map.fitBounds(L.latLngBounds(ends), { paddingTopLeft: [32, 32 + above], paddingBottomRight: [32, 24 + below], maxZoom: 17, animate: false });
    }
    if (!j.wayAnnounced) {
      j.wayAnnounced = true;
      announce(t('respond.announce.direction', { cat: category(j.category), words: way.words }));
    }
  }
}

// wayBox holds the words of drawWays on the map, above the line.
const wayBox = new (L.Control.extend({
  onAdd() {
    const el = h('div', { class: 'job-heading', hidden: true });
    L.DomEvent.disableClickPropagation(el);
    return el;
  },
}))({ position: 'topleft' });

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
  o.waiting = '';
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
      else if (err.status === 404 || err.status === 409) refused(o.offer_id, 'respond.offer.no_longer_open');
      else if (!err.status) waitForNetwork(o.offer_id, verb);
      else if (err.status === 503) notTaken(o.offer_id, 'error.unavailable');
      else refused(o.offer_id, `error.${err.code}`);
    });
}

const accept = (o) => answer(o, 'accept');
const decline = (o) => answer(o, 'decline');

// dismiss takes away an offer that expired with its answer unsent, once
// the responder has read so.
function dismiss(o) {
  delete state.offers[o.offer_id];
  render();
}

// waitForNetwork keeps an answer given without a network ("not sent"); it
// is sent when the network returns (sendWaiting), unless the offer runs
// out first, which the card then says (expiredUnsent).
function waitForNetwork(offerID, verb) {
  const o = state.offers[offerID];
  if (!o) return;
  o.busy = false;
  o.waiting = verb;
  o.error = { key: 'respond.offer.not_sent', reason: 'respond.offer.waits_for_network' };
  render();
}

function sendWaiting() {
  for (const o of Object.values(state.offers)) {
    if (!o.waiting || o.busy) continue;
    if (Date.parse(o.expires_at) <= now()) expiredUnsent(o);
    else answer(o, o.waiting);
  }
}

// expiredUnsent says on the card that its waiting answer was not sent:
// the offer ran out, or the server withdrew it (reason, as
// offer_withdrawn says) while the phone was offline. Only OK is left.
function expiredUnsent(o, reason = 'expired') {
  o.waiting = '';
  o.expired = true;
  o.busy = false;
  if (reason === 'expired') {
    o.error = { key: 'respond.offer.expired_not_sent', reason: 'respond.offer.expired_not_sent' };
    log('respond.log.expired_not_sent', { cat: o.category });
  } else {
    o.error = { key: 'respond.offer.not_sent', reason: has(`withdrawn.${reason}`) ? `withdrawn.${reason}` : 'withdrawn.other' };
  }
  announce(reason === 'expired' ? t(o.error.key) : t(o.error.key, { reason: t(o.error.reason) }));
  render();
}

// answered moves an offer to the jobs (accept) or drops it (decline); an
// accept's place ({lat, lng, description}) is where the job is exactly.
function answered(offerID, verb, place) {
  const o = state.offers[offerID];
  if (!o) return;
  delete state.offers[offerID];
  if (verb === 'accept') {
    const exact = place && Number.isFinite(place.lat) ? { lat: place.lat, lng: place.lng, description: place.description || '' } : {};
    state.jobs[o.need_id] = { ...state.jobs[o.need_id], ...o, ...exact, busy: false, acceptedAt: now() };
    log('respond.log.accepted', { cat: o.category });
  } else {
    log('respond.log.declined', { cat: o.category });
  }
  render();
}

// refused and notTaken keep the reason as a catalogue key, said when drawn.
function refused(offerID, reason) {
  const o = state.offers[offerID];
  if (!o) return;
  o.busy = false;
  o.error = { key: 'respond.offer.not_answered', reason: has(reason) ? reason : 'error.internal' };
  render();
  setTimeout(() => { delete state.offers[offerID]; render(); }, 4000);
}

// notTaken keeps an offer whose answer did not get through (the server
// could not answer, say while its data store restarts): the offer is still
// open, so the buttons stay for another try.
function notTaken(offerID, reason) {
  const o = state.offers[offerID];
  if (!o) return;
  o.busy = false;
  o.error = { key: 'respond.offer.not_sent', reason };
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
      throw Object.assign(new Error('offline'), { code: 'offline' });
    }
    j.done = true;
    j.doneAt = now();
    log('respond.log.done', { cat: j.category });
    if (service) service.refresh();
  } catch (err) {
    j.error = { key: 'respond.job.not_reported', reason: has(`error.${err.code}`) ? `error.${err.code}` : 'error.internal' };
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
      sendWaiting();
      break;
    case 'offer':
      if (Date.parse(d.expires_at) > now()) state.offers[d.offer_id] = { ...d };
      log('respond.log.offer', { cat: d.category, dist: d.distance_m }, env);
      announce(t('respond.announce.offer', { cat: category(d.category), urgency: urgencyName(d.urgency), dist: distance(d.distance_m) }));
      if (navigator.vibrate) navigator.vibrate([200, 100, 200]);
      render();
      break;
    case 'offer_withdrawn': {
      const o = state.offers[d.offer_id];
      // An answer that waited for the network stays on its card, which
      // says it was not sent, until put away.
      if (o && o.waiting) expiredUnsent(o, d.reason);
      else if (!o || !o.expired) delete state.offers[d.offer_id];
      const j = state.jobs[d.need_id];
      if (j && !j.done && (d.reason === 'cancelled' || d.reason === 'unstaffed')) delete state.jobs[d.need_id];
      if (o) log('respond.log.withdrawn', { cat: o.category, reason: d.reason }, env);
      else log('respond.log.withdrawn_unknown', { reason: d.reason }, env);
      announce(t('respond.announce.withdrawn', { reason: withdrawnText(d.reason) }));
      render();
      break;
    }
    case 'assignment':
      state.jobs[d.need_id] = { ...state.jobs[d.need_id], ...d };
      log('respond.log.team_complete', { cat: d.category || state.jobs[d.need_id].category }, env);
      announce(t('respond.announce.staffed', { cat: category(d.category || state.jobs[d.need_id].category) }));
      render();
      break;
    case 'message':
      // A message to this responder alone has no need: it shows as the
      // alerts do; a team's goes to its job card's thread.
      if (!d.need_id) showAlert({ alert_id: d.message_id, message: d.text, sent_at: d.sent_at });
      else if (field) field.message(env.type, d);
      break;
    case 'field_status':
      if (field) field.message(env.type, d);
      break;
    case 'nudge':
      showNudge(d, { onDuty: () => $('#duty').checked, goOnDuty: () => { $('#duty').checked = true; dutyChanged(); }, announce, now });
      break;
    case 'standby': {
      // A CAP warning's pre-alert: be ready, nothing to answer.
      const key = d.expires_at ? 'respond.standby.until' : 'respond.standby.text';
      showAlert({ alert_id: `standby-${d.incident_id || ''}`, message: t(key, { headline: d.headline || '', until: d.expires_at ? dateTime(d.expires_at) : '' }) });
      log('respond.log.alert', { text: d.headline || '' }, env);
      break;
    }
    case 'alert':
      showAlert(d);
      log('respond.log.alert', { text: d.message || '' }, env);
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
        else if (d.code === 'not_found' || d.code === 'invalid_transition' || d.code === 'conflict') refused(p.offerID, 'respond.offer.no_longer_open');
        else if (unavailable) notTaken(p.offerID, 'error.unavailable');
        else refused(p.offerID, `error.${d.code}`);
      } else if (!unavailable || now() - lastUnavailableToast > 30000) {
        // A restarting server refuses every position sent meanwhile: say
        // so once, not with every GPS fix.
        if (unavailable) lastUnavailableToast = now();
        toast(errorText(d), true);
      }
      break;
    }
    case 'resync':
      inbox.forget();
      syncOffers();
      syncJobs();
      log('respond.log.resync', {});
      break;
    default:
  }
}

function showAlert(d) {
  const el = h('article', { class: 'card alert-card', dataset: { alertId: d.alert_id || '' } },
    h('h2', { dataset: { i18n: 'respond.alert.title' } }, t('respond.alert.title')), h('p', {}, d.message || ''),
    h('button', { type: 'button', dataset: { i18n: 'verb.ok' }, onclick: () => el.remove() }, t('verb.ok')));
  $('#alerts').append(el);
  if (navigator.vibrate) navigator.vibrate([400, 100, 400]);
  announce(`${t('respond.alert.title')}: ${d.message || ''}`, true);
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
    who = r;
    drawWho();
    if (!locator.pos && Number.isFinite(r.lat) && Number.isFinite(r.lng)) placeMe({ lat: r.lat, lng: r.lng }, null);
  } catch {
    // keep what is shown
  }
}

// drawWho names the responder and their role in the header.
function drawWho() {
  $('#who').textContent = who ? `${who.name || me} · ${who.role ? roleName(who.role) : ''}` : me;
}

function setDuty(on) {
  $('#duty').checked = on;
  $('#duty-label').dataset.i18n = on ? 'responder.available' : 'responder.off_duty';
  $('#duty-label').textContent = t($('#duty-label').dataset.i18n);
  document.body.dataset.duty = on ? 'available' : 'off_duty';
}

async function dutyChanged() {
  const on = $('#duty').checked;
  setDuty(on);
  try {
    await api.put(`/api/v1/responders/${encodeURIComponent(me)}/status`, { status: on ? 'available' : 'off_duty' });
  } catch (err) {
    setDuty(!on);
    toast(t('respond.duty.failed', { reason: errorText(err) }), true);
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
  drawWays();
  meMarker.bringToFront(); // the phone's dot above the way
  persist();
}

// drawWhere says where the page takes the responder's position from.
function drawWhere() {
  if (!located) return;
  const { mode, pos, accuracy } = located;
  $('#where').textContent = mode === 'gps' && pos
    ? t('respond.where.gps', { m: distance(Math.round(accuracy || 0)) })
    : t(mode === 'gps' ? 'respond.where.waiting' : `respond.where.${mode}`);
}

const locator = new Locator(report, ({ mode, pos, accuracy }) => {
  if (pos) placeMe(pos, accuracy);
  located = { mode, pos, accuracy };
  drawWhere();
  document.body.dataset.location = mode;
  $('#use-gps').hidden = mode !== 'manual' || !('geolocation' in navigator);
  if (mode === 'denied' || mode === 'unavailable' || mode === 'unsupported') $('#pin-hint').hidden = false;
});

function mapClicked(e) {
  if (!pinMarker) {
    pinMarker = L.marker(e.latlng, { draggable: true, title: t('respond.i_am_here'), icon: L.divIcon({ className: 'pin', html: h('span', {}), iconSize: [20, 20], iconAnchor: [10, 20] }) }).addTo(map);
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
  if (notifications) notifications.unsubscribe();
  if (device) device.forgetAll();
  clearSession();
  if (socket) socket.stop();
  $('#app').hidden = true;
  replace($('#nosession'), h('h1', { dataset: { i18n: 'respond.ended.title' } }, t('respond.ended.title')),
    h('p', { dataset: { i18n: 'respond.ended.text' } }, t('respond.ended.text')));
  $('#nosession').hidden = false;
}

// replaced tells the person that another screen of theirs took over the
// live connection (the server keeps a few per person and closed this
// page's, the oldest), and lets them take it back here.
function replaced() {
  const use = h('button', { type: 'button', dataset: { i18n: 'respond.replaced.use_here' } }, t('respond.replaced.use_here'));
  const note = h('div', { class: 'replaced', role: 'alert' },
    h('span', { dataset: { i18n: 'respond.replaced.text' } }, t('respond.replaced.text')), ' ', use);
  use.addEventListener('click', () => {
    note.remove();
    socket.start();
  });
  document.body.prepend(note);
}

// drawConn shows the socket's state as a sign and in words (title and
// accessible name), never by colour alone.
function drawConn() {
  drawLastKnown();
  const el = $('#conn');
  el.className = `conn ${connState}`;
  el.textContent = { open: '✓', connecting: '…', closed: '✕' }[connState] || '';
  const words = t('respond.conn.label', { state: t(`conn.${connState}`) });
  el.title = words;
  el.setAttribute('aria-label', words);
}

// redraw says everything drawn from data again in the new language; the
// socket, the session and the state stay as they are.
function redraw() {
  drawConn();
  if (notifications) notifications.languageChanged();
  drawWhere();
  if (me) drawWho();
  if ($('#duty-label').dataset.i18n) $('#duty-label').textContent = t($('#duty-label').dataset.i18n);
  activity.render();
  if (service) service.draw();
  render();
  drawLangSwitch();
}

function drawLangSwitch() {
  for (const b of document.querySelectorAll('#lang-switch button')) b.setAttribute('aria-pressed', String(b.dataset.lang === lang()));
}

function setUpLanguage() {
  setLang(chooseLang());
  onLangChange(redraw);
  for (const b of document.querySelectorAll('#lang-switch button')) {
    b.addEventListener('click', () => setLang(b.dataset.lang, true));
  }
  drawLangSwitch();
}

async function start() {
  setUpLanguage();
  drawConn();
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
  device = new Device(() => sess);
  await device.start();
  await restoreLastKnown();
  notifications = new Notifications($('#notify'), { api, me, device });
  notifications.start().catch(() => {});
  window.addEventListener('online', () => {
    if (socket) socket.reconnectNow();
  });
  field = new Field({ api, here, render, announce, me });
  if (features.has('get', '/api/v1/responders/{id}/hours')) {
    service = new ServiceCard($('#service'), api, me, () => sess.token);
    service.refresh();
  }
  // The zoom buttons top right, under the scale bar: the top left holds
  // the way to the job in words.
  map = createMap($('#map'), pageConfig(), { zoomControl: false });
  L.control.zoom({ position: 'topright' }).addTo(map);
  jobMarkers.addTo(map);
  wayLayer.addTo(map);
  // A scale bar always: over the offline basemap at street zoom it is
  // what tells the distance the screen spans. Top right: at the bottom the
  // attribution, wrapped by large text, would cover it.
  L.control.scale({ metric: true, imperial: false, position: 'topright' }).addTo(map);
  wayBox.addTo(map);
  map.on('click', mapClicked);
  $('#duty').addEventListener('change', dutyChanged);
  $('#i-am-here').addEventListener('click', () => {
    if (!pinMarker) return;
    locator.pin(pinMarker.getLatLng());
    map.removeLayer(pinMarker);
    pinMarker = null;
    $('#i-am-here').hidden = true;
    toast(t('respond.position_set'));
  });
  $('#use-gps').addEventListener('click', () => locator.useGPS());
  socket = new LiveSocket({
    token: () => sess.token,
    lastID: () => inbox.lastID,
    onMessage: message,
    onState: (s) => {
      connState = s;
      drawConn();
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
    const at = now();
    for (const id of tick($('#offers'), at)) {
      const o = state.offers[id];
      if (o && o.waiting && Date.parse(o.expires_at) < at) expiredUnsent(o);
      else if (o && !o.busy && !o.expired && Date.parse(o.expires_at) < at - 1000) {
        delete state.offers[id];
        log('respond.log.expired', { cat: o.category });
        render();
      }
    }
    for (const [id, j] of Object.entries(state.jobs)) {
      if (j.done && at - j.doneAt > DONE_LINGER_MS) {
        delete state.jobs[id];
        render();
      }
    }
  }, 500);
  window.liandong = { state, map, socket, device, notifications }; // for the curious, and for tests
}

// restoreLastKnown fills an empty page (the installed app opened anew)
// with the offers and jobs kept on the device, marked as last known until
// the server says otherwise. An answer cut short by the reload (busy, its
// reply lost with the old page) gets its buttons back.
async function restoreLastKnown() {
  if (!Object.keys(state.offers).length && !Object.keys(state.jobs).length) {
    const kept = await device.lastKnown().catch(() => null);
    if (kept) {
      Object.assign(state.offers, kept.offers || {});
      Object.assign(state.jobs, kept.jobs || {});
      if (!state.log.length && Array.isArray(kept.log)) state.log.push(...kept.log);
      state.seenAt = kept.seen_at || 0;
    }
  }
  for (const o of Object.values(state.offers)) o.busy = false;
}

start().catch((err) => {
  document.body.append(h('p', { class: 'fatal', role: 'alert' }, t('respond.fatal', { message: err.message })));
  throw err;
});
