// On scene, in the need's detail: each member's field status (en route,
// on scene, left), whether their position confirmed the arrival, and a
// warning when someone has been en route for more than twice the time the
// way should take. The server's field_status events reload the detail at
// once (live.js), and move the member's marker to the scene (store.js).
import { h } from '../lib/dom.js';
import { duration } from '../lib/format.js';
import { t } from '../lib/i18n.js';

// The way's estimate: the distance when offered at 15 km/h (a bicycle, or
// a bus in town), and never less than five minutes.
const SPEED_M_PER_MS = 15000 / 3600000;
const MIN_ESTIMATE_MS = 5 * 60 * 1000;

export function estimateMs(distanceM) {
  return Math.max(MIN_ESTIMATE_MS, (distanceM || 0) / SPEED_M_PER_MS);
}

// fieldOf is a member's field status in a need read from the API.
export function fieldOf(n, rid) {
  return (n.field_status || []).find((s) => s.responder_id === rid) || null;
}

// lateEnRoute: accepted longer ago than twice the estimate, not arrived.
export function lateEnRoute(a, st, now = Date.now()) {
  if (!st || st.state !== 'en_route' || !a.answered_at) return false;
  return now - Date.parse(a.answered_at) > 2 * estimateMs(a.distance_m);
}

// fieldCell says one assignment's field status, for the people list.
export function fieldCell(n, a, now = Date.now()) {
  const st = fieldOf(n, a.responder_id);
  if (!st) return null;
  const parts = [h('span', { class: `pill field-${st.state}`, dataset: { field: st.state } }, t(`console.field.${st.state}`))];
  if (st.state !== 'en_route') {
    parts.push(' ', st.confirmed
      ? h('small', { class: 'confirmed' }, t('console.field.confirmed', { distance: Math.round(st.distance_m) }))
      : h('small', { class: 'unconfirmed' }, t('console.field.unconfirmed', { distance: Math.round(st.distance_m), reason: st.reason || '' })));
  }
  if (lateEnRoute(a, st, now)) {
    parts.push(' ', h('strong', { class: 'late', role: 'alert' }, t('console.field.late', { duration: duration(now - Date.parse(a.answered_at)) })));
  }
  return h('span', { class: 'field' }, ' ', parts);
}
