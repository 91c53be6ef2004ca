// The cards of the responder page: an offer (category, urgency, distance,
// countdown, Accept and Decline; only the area, which the server sends
// instead of the address until accepted) and the job
// in hand (the exact place, the team and its lead, navigation, Done).
// Every word comes from the catalogues; urgency and status are said in
// words beside their colours.
import { h } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { category, clock, distance, roleName, urgencyName } from '../lib/format.js';
import { routeLinks } from './navigate.js';

// offerCard draws one offer; the countdown element is updated by tick().
// An offer that ran out while its answer waited for the network says so
// and only lets itself be put away (onDismiss).
export function offerCard(o, { now, onAccept, onDecline, onDismiss }) {
  const left = Date.parse(o.expires_at) - now;
  const cat = category(o.category);
  const titleID = `offer-title-${o.offer_id}`;
  const buttons = o.expired
    ? [h('button', { type: 'button', class: 'dismiss', onclick: () => onDismiss(o) }, t('verb.ok'))]
    : [h('button', { type: 'button', class: 'accept primary', disabled: o.busy, 'aria-label': t('respond.offer.accept_label', { cat }), onclick: () => onAccept(o) }, t('verb.accept')),
      h('button', { type: 'button', class: 'decline', disabled: o.busy, 'aria-label': t('respond.offer.decline_label', { cat }), onclick: () => onDecline(o) }, t('verb.decline'))];
  const state = o.expired ? ' expired' : o.waiting ? ' unsent' : '';
  return h('article', { class: `card offer-card urgency-${o.urgency}${state}`, 'aria-labelledby': titleID, dataset: { offerId: o.offer_id, needId: o.need_id } },
    h('header', {},
      h('span', { class: `badge urgency-${o.urgency}`, 'aria-hidden': 'true' }, String(o.urgency)),
      h('h2', { id: titleID }, cat),
      h('span', { class: 'countdown', role: 'timer', dataset: { expires: o.expires_at }, title: t('respond.offer.time_left'), 'aria-label': t('respond.offer.time_left') }, clock(left))),
    h('p', { class: 'facts' },
      h('span', { class: `urgency-word urgency-${o.urgency}` }, urgencyName(o.urgency)), ' · ',
      h('span', {}, t('respond.offer.as_role', { role: roleName(o.role) })), ' · ',
      h('span', { class: 'distance' }, t('respond.offer.about', { distance: distance(o.distance_m) }))),
    h('p', { class: 'muted small approx' }, t('respond.offer.approx')),
    o.error ? h('p', { class: 'error', role: 'alert' }, errorLine(o.error)) : null,
    h('div', { class: 'buttons' }, buttons));
}

// errorLine says a stored error {key, reason} (reason: a catalogue key)
// in the current language, so that a switch redraws it too.
function errorLine(e) {
  if (typeof e === 'object' && e.key === e.reason) return t(e.key);
  return typeof e === 'object' ? t(e.key, { reason: t(e.reason) }) : String(e);
}

// tick updates every countdown and reports offers whose time ran out.
export function tick(root, now) {
  const expired = [];
  for (const el of root.querySelectorAll('.countdown')) {
    const left = Date.parse(el.dataset.expires) - now;
    el.textContent = clock(left);
    el.classList.toggle('low', left < 15000);
    if (left <= 0) expired.push(el.closest('.offer-card').dataset.offerId);
  }
  return expired;
}

const APP_NAMES = { amap: 'respond.nav.amap', baidu: 'respond.nav.baidu', tencent: 'respond.nav.tencent', geo: 'respond.nav.geo' };

// navLinks: the route in the phone's map apps, under one "Navigate".
function navLinks(j) {
  const cat = category(j.category);
  // The label is the category, never the description: a link to a web
  // map hands its text to that map's provider, and a description may name
  // the person served.
  const links = routeLinks(j.lat, j.lng, cat);
  return h('details', { class: 'nav' },
    h('summary', { class: 'button primary navigate' }, t('respond.nav.navigate')),
    h('ul', {}, links.map((l) => h('li', {},
      h('a', { class: 'button', href: l.href, dataset: { app: l.app }, rel: 'noopener noreferrer', 'aria-label': t('respond.nav.label', { app: t(APP_NAMES[l.app]), cat }) }, t(APP_NAMES[l.app]))))));
}

function statusWord(j, staffed) {
  if (j.done) return t('offer.completed');
  return staffed ? t('need.staffed') : t('offer.accepted');
}

// jobCard draws the need the responder accepted; way is the distance and
// direction to it in words ('' while the phone's position is unknown),
// kept up to date by showWay as the phone moves.
export function jobCard(j, me, { onDone, way = '' }) {
  const staffed = Boolean(j.team);
  const lead = j.lead_id === me;
  return h('article', { class: `card job-card ${staffed ? 'staffed' : 'waiting'}${j.done ? ' done' : ''}`, dataset: { needId: j.need_id } },
    h('header', {},
      h('span', { class: `badge urgency-${j.urgency || 4}`, 'aria-hidden': 'true' }, String(j.urgency || '·')),
      h('h2', {}, category(j.category)),
      h('span', { class: 'pill' }, statusWord(j, staffed))),
    j.urgency ? h('p', { class: 'facts' }, h('span', { class: `urgency-word urgency-${j.urgency}` }, urgencyName(j.urgency))) : null,
    ...(Number.isFinite(j.lat) && Number.isFinite(j.lng)
      ? [h('p', { class: 'address' }, h('b', {}, t('respond.job.where')), `${j.lat.toFixed(5)}, ${j.lng.toFixed(5)}`),
        j.description ? h('p', { class: 'description' }, j.description) : null,
        j.done ? null : h('p', { class: 'direction', hidden: !way }, h('b', {}, t('respond.job.direction')), h('span', { class: 'direction-words' }, way)),
        j.done ? null : navLinks(j)]
      : [h('p', { class: 'muted address-pending' }, t('respond.job.place_pending'))]),
    staffed
      ? h('div', { class: 'team' },
        h('p', {}, lead ? h('b', { class: 'you-lead' }, t('respond.job.you_lead')) : [t('respond.job.lead'), h('code', {}, j.lead_id || '—')]),
        h('ul', { 'aria-label': t('respond.job.team') }, j.team.map((m) => h('li', {}, m.responder_id === me ? h('b', {}, t('respond.job.you')) : h('code', {}, m.responder_id), ` · ${roleName(m.role)}`, m.responder_id === j.lead_id ? ' ★' : ''))))
      : h('p', { class: 'muted waiting' }, t('respond.job.waiting')),
    j.done
      ? h('p', { class: 'ok' }, t('respond.job.reported_done'))
      : staffed ? h('form', { class: 'done-form', onsubmit: (e) => { e.preventDefault(); onDone(j, e.target.note.value.trim()); } },
        h('label', {}, t('respond.job.note'), h('textarea', { name: 'note', rows: 2, maxlength: 2000, placeholder: t('respond.job.note_placeholder') })),
        j.error ? h('p', { class: 'error', role: 'alert' }, errorLine(j.error)) : null,
        h('button', { type: 'submit', class: 'primary done', disabled: j.busy }, t('verb.complete'))) : null);
}

// showWay updates a drawn job card's distance and direction in place, so
// that a note being typed on the card is not lost with every GPS fix.
export function showWay(root, needID, way) {
  const card = [...root.querySelectorAll('.job-card')].find((c) => c.dataset.needId === needID);
  const p = card && card.querySelector('.direction');
  if (!p) return;
  p.hidden = !way;
  p.querySelector('.direction-words').textContent = way;
}
