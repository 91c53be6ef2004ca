// Volunteers who joined by invitation (issue 20): the roster's status
// filter "pending" lists an organisation's applications with approve and
// reject; "new invitation" makes a join link and shows it with its QR
// code. A pending volunteer is no responder yet: approval registers them
// and shows the coordinator their responder link (also sent by SMS).
import { $, h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { errorText, when } from '../console/say.js';

let deps = null; // { send, token }

const day = (iso) => iso.slice(0, 10);

function skillsText(a) {
  return [...a.skills, ...a.certifications.map((c) => t('roster.cert', { skill: c.skill, date: day(c.expires_at) }))].join('、');
}

// setupApplications keeps what the roster's API calls need.
export function setupApplications(d) {
  deps = d;
  $('#invite-new').addEventListener('click', openInvite);
}

// showApplications lists an organisation's pending applications in the
// roster's table.
export async function showApplications(org) {
  const status = $('#status');
  if (!org) {
    replace($('#list'));
    status.textContent = t('roster.apps.needOrg');
    return;
  }
  status.textContent = t('roster.loading');
  let res;
  try {
    res = await deps.send('GET', `/api/v1/organisations/${encodeURIComponent(org)}/applications?status=pending`);
  } catch (err) {
    if (err.status !== 401) status.textContent = t('roster.failed', { message: errorText(err) });
    return;
  }
  const head = h('tr', {}, ...['roster.col.name', 'roster.apps.phone', 'roster.col.skills', 'roster.apps.sent', 'roster.col.actions']
    .map((k) => h('th', { scope: 'col' }, t(k))));
  const rows = res.applications.map((a) => h('tr', { dataset: { app: a.id } },
    h('th', { scope: 'row', class: 'name' }, a.name),
    h('td', {}, a.phone),
    h('td', { class: 'skills' }, skillsText(a) || '–'),
    h('td', {}, when(a.created_at)),
    h('td', {},
      h('button', { type: 'button', class: 'primary approve', 'aria-label': t('roster.apps.approveOf', { name: a.name }), onclick: () => approve(a, org) }, t('roster.apps.approve')),
      h('button', { type: 'button', class: 'reject', 'aria-label': t('roster.apps.rejectOf', { name: a.name }), onclick: () => reject(a, org) }, t('roster.apps.reject')))));
  replace($('#list'), h('thead', {}, head), h('tbody', {}, ...rows));
  status.textContent = rows.length ? t('roster.apps.count', { count: rows.length }) : t('roster.apps.none');
}

async function approve(a, org) {
  const box = $('#editor');
  try {
    const res = await deps.send('POST', `/api/v1/applications/${encodeURIComponent(a.id)}/approve`, {});
    const link = new URL(res.link, location.origin).href;
    replace(box, h('h2', {}, t('roster.apps.approved', { name: a.name })),
      h('p', {}, res.sms_sent ? t('roster.apps.smsSent') : t('roster.apps.smsNot')),
      h('label', {}, h('span', {}, t('roster.apps.link')), h('input', { id: 'approved-link', readonly: true, value: link })));
    box.hidden = false;
    box.focus();
  } catch (err) {
    if (err.status !== 401) $('#status').textContent = t('roster.failed', { message: errorText(err) });
    return;
  }
  showApplications(org);
}

function reject(a, org) {
  const box = $('#editor');
  const reason = h('textarea', { name: 'reason', rows: 2, required: true });
  const msg = h('p', { class: 'msg', role: 'status', 'aria-live': 'polite' });
  const form = h('form', { class: 'retire', onsubmit: async (e) => {
    e.preventDefault();
    try {
      await deps.send('POST', `/api/v1/applications/${encodeURIComponent(a.id)}/reject`, { reason: reason.value.trim() });
      msg.textContent = t('roster.apps.rejected');
      showApplications(org);
    } catch (err) {
      if (err.status !== 401) msg.textContent = t('roster.form.failed', { message: errorText(err) });
    }
  } },
  h('label', {}, h('span', {}, t('roster.apps.reason')), reason),
  h('button', { type: 'submit', class: 'danger' }, t('roster.apps.reject')),
  msg);
  replace(box, h('h2', {}, t('roster.apps.rejectOf', { name: a.name })), form);
  box.hidden = false;
  box.focus();
}

// openInvite asks for the organisation, the days and the most people,
// then shows the link and its QR code (fetched with the staff token).
function openInvite() {
  const dialog = $('#invite-dialog');
  const org = h('input', { name: 'org', required: true, autocomplete: 'off', value: $('#f-org').value.trim() });
  const days = h('input', { name: 'days', type: 'number', min: 1, max: 90, value: 7, required: true });
  const uses = h('input', { name: 'uses', type: 'number', min: 1, max: 1000, value: 20, required: true });
  const out = h('div', { role: 'status', 'aria-live': 'polite' });
  const form = h('form', { class: 'grid', onsubmit: async (e) => {
    e.preventDefault();
    const expires = new Date(Date.now() + Number(days.value) * 86400000).toISOString();
    try {
      const inv = await deps.send('POST', `/api/v1/organisations/${encodeURIComponent(org.value.trim())}/invitations`,
        { expires_at: expires, max_uses: Number(uses.value) });
      const link = new URL(inv.url, location.origin).href;
      const img = h('img', { id: 'invite-qr', width: 240, height: 240, alt: t('roster.invite.qrAlt') });
      replace(out, h('p', {}, t('roster.invite.made', { date: when(inv.expires_at), count: inv.max_uses })),
        h('label', {}, h('span', {}, t('roster.invite.link')), h('input', { id: 'invite-link', readonly: true, value: link })), img);
      const res = await fetch(inv.qr_url, { headers: { Authorization: `Bearer ${deps.token()}` }, cache: 'no-store' });
      if (res.ok) img.src = URL.createObjectURL(await res.blob());
    } catch (err) {
      if (err.status !== 401) replace(out, h('p', { class: 'error' }, t('roster.form.failed', { message: errorText(err) })));
    }
  } },
  h('label', {}, h('span', {}, t('roster.form.org')), org),
  h('label', {}, h('span', {}, t('roster.invite.days')), days),
  h('label', {}, h('span', {}, t('roster.invite.uses')), uses),
  h('div', { class: 'row' },
    h('button', { type: 'submit', class: 'primary' }, t('roster.invite.go')),
    h('button', { type: 'button', onclick: () => dialog.close() }, t('roster.form.cancel'))));
  replace(dialog, h('h2', { id: 'invite-title' }, t('roster.invite.title')), form, out);
  dialog.showModal();
}
