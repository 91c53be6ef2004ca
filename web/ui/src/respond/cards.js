// The cards of the responder page: an offer (category, urgency, distance,
// countdown, Accept and Decline; only the area, which the server sends
// instead of the address until accepted) and the job
// in hand (the exact place, the team and its lead, navigation, Done).
import { h } from '../lib/dom.js';
import { category, clock, distance, roleName, urgencyName } from '../lib/format.js';

// offerCard draws one offer; the countdown element is updated by tick().
export function offerCard(o, { now, onAccept, onDecline }) {
  const left = Date.parse(o.expires_at) - now;
  return h('article', { class: `card offer-card urgency-${o.urgency}`, dataset: { offerId: o.offer_id, needId: o.need_id } },
    h('header', {},
      h('span', { class: `badge urgency-${o.urgency}` }, String(o.urgency)),
      h('h2', {}, category(o.category)),
      h('span', { class: 'countdown', dataset: { expires: o.expires_at }, title: 'time left to answer' }, clock(left))),
    h('p', { class: 'facts' },
      h('span', {}, urgencyName(o.urgency)), ' · ',
      h('span', {}, `as ${roleName(o.role)}`), ' · ',
      h('span', { class: 'distance' }, `about ${distance(o.distance_m)} away`)),
    h('p', { class: 'muted small approx' }, 'Shown on the map as an area. The exact place and details are shown once you accept. 接受后显示确切地址。'),
    o.error ? h('p', { class: 'error' }, o.error) : null,
    h('div', { class: 'buttons' },
      h('button', { class: 'accept primary', disabled: o.busy, onclick: () => onAccept(o) }, 'Accept'),
      h('button', { class: 'decline', disabled: o.busy, onclick: () => onDecline(o) }, 'Decline')));
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

function navLinks(j) {
  const ll = `${j.lat.toFixed(6)},${j.lng.toFixed(6)}`;
  return h('p', { class: 'nav' },
    h('a', { class: 'button primary navigate', href: `geo:${ll}?q=${ll}` }, 'Navigate'), ' ',
    h('a', { class: 'button', href: `https://www.openstreetmap.org/?mlat=${j.lat.toFixed(6)}&mlon=${j.lng.toFixed(6)}#map=17/${ll.replace(',', '/')}`, target: '_blank', rel: 'noopener noreferrer' }, 'Open map'));
}

// jobCard draws the need the responder accepted.
export function jobCard(j, me, { onDone }) {
  const staffed = Boolean(j.team);
  const lead = j.lead_id === me;
  return h('article', { class: `card job-card ${staffed ? 'staffed' : 'waiting'}${j.done ? ' done' : ''}`, dataset: { needId: j.need_id } },
    h('header', {},
      h('span', { class: `badge urgency-${j.urgency || 4}` }, String(j.urgency || '·')),
      h('h2', {}, category(j.category)),
      h('span', { class: 'pill' }, j.done ? 'done' : staffed ? 'team complete' : 'accepted')),
    ...(Number.isFinite(j.lat) && Number.isFinite(j.lng)
      ? [h('p', { class: 'address' }, h('b', {}, 'Where: '), `${j.lat.toFixed(5)}, ${j.lng.toFixed(5)}`),
        j.description ? h('p', { class: 'description' }, j.description) : null,
        navLinks(j)]
      : [h('p', { class: 'muted address-pending' }, 'The exact place arrives in a moment (with the team).')]),
    staffed
      ? h('div', { class: 'team' },
        h('p', {}, lead ? h('b', { class: 'you-lead' }, 'You lead this team.') : ['Lead: ', h('code', {}, j.lead_id || '—')]),
        h('ul', {}, j.team.map((m) => h('li', {}, m.responder_id === me ? h('b', {}, 'You') : h('code', {}, m.responder_id), ` · ${roleName(m.role)}`, m.responder_id === j.lead_id ? ' ★' : ''))))
      : h('p', { class: 'muted waiting' }, 'Waiting for the rest of the team…'),
    j.done
      ? h('p', { class: 'ok' }, 'Reported done. Thank you!')
      : staffed ? h('form', { class: 'done-form', onsubmit: (e) => { e.preventDefault(); onDone(j, e.target.note.value.trim()); } },
        h('label', {}, 'Note (optional)', h('textarea', { name: 'note', rows: 2, maxlength: 2000, placeholder: 'what was done, anything to follow up' })),
        j.error ? h('p', { class: 'error' }, j.error) : null,
        h('button', { type: 'submit', class: 'primary done', disabled: j.busy }, 'Done')) : null);
}
