// The surge nudge card (socket message `nudge`): places near this
// off-duty responder have nobody, and the one action is going on duty.
// One card at a time: a newer nudge replaces the older.
import { $, h } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

// STALE_MS: a nudge older than this (a page closed for hours) is not
// shown: the surge it was for has likely passed.
const STALE_MS = 60 * 60 * 1000;

// showNudge draws the card unless the responder is on duty already or
// the nudge is stale; goOnDuty is the duty switch's own action.
export function showNudge(d, { onDuty, goOnDuty, announce, now }) {
  document.querySelectorAll('.nudge-card').forEach((el) => el.remove());
  if (onDuty() || now() - Date.parse(d.sent_at) > STALE_MS) return;
  const needs = Number(d.needs) || 0;
  const title = h('h2', {}, t('respond.nudge.title', { n: needs, count: needs }));
  const el = h('article', { class: 'card nudge-card', role: 'alert', dataset: { nudgeId: d.nudge_id || '', urgency: String(d.urgency || '') } },
    title,
    h('p', { dataset: { i18n: d.urgency === 1 ? 'respond.nudge.body_urgent' : 'respond.nudge.body' } }, t(d.urgency === 1 ? 'respond.nudge.body_urgent' : 'respond.nudge.body')),
    h('button', { type: 'button', class: 'primary nudge-go', dataset: { i18n: 'respond.nudge.go' }, onclick: () => { el.remove(); goOnDuty(); } }, t('respond.nudge.go')),
    h('button', { type: 'button', class: 'nudge-later', dataset: { i18n: 'respond.nudge.later' }, onclick: () => el.remove() }, t('respond.nudge.later')));
  $('#alerts').append(el);
  if (navigator.vibrate) navigator.vibrate([200, 100, 200]);
  announce(title.textContent, true);
}
