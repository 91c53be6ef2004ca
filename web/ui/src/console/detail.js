// The detail of one need: its team, each place's state and the reason for
// any shortfall, with Cancel and Assign.
import { h, replace } from '../lib/dom.js';
import { distance, duration, roleName, shortfallText, urgencyName, withdrawnText } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { errorText, numbered, stateName, statusName, stepName, tierName } from './say.js';
import { isActive } from './store.js';
import { fieldCell } from './field.js';

export const ASSIGN_PATH = '/api/v1/needs/{id}/assign';
export const ESCALATE_PATH = '/api/v1/needs/{id}/escalate';
const REFRESH_MS = 3000;

export class NeedDetail {
  constructor(el, { api, store, features, onClose, toast, onMessage }) {
    Object.assign(this, { el, api, store, features, onClose, toast, onMessage });
    this.id = null;
    this.need = null;
    this.confirming = false;
    this.picked = '';
    this.loading = null;
    // Shortfall reasons change with the matcher's ticks, which send no
    // event: an open detail is read again every few seconds.
    setInterval(() => {
      if (this.id && !document.hidden && (!this.need || isActive(this.need))) this.reload();
    }, REFRESH_MS);
  }

  async show(id) {
    if (this.id !== id) {
      this.confirming = false;
      this.picked = '';
    }
    this.id = id;
    this.el.hidden = false;
    if (!this.need || this.need.id !== id) replace(this.el, h('p', { class: 'muted' }, t('console.detail.loading')));
    await this.reload();
  }

  hide() {
    this.id = null;
    this.need = null;
    this.el.hidden = true;
    replace(this.el);
  }

  // redraw says the detail again (a new language).
  redraw() {
    if (this.need && this.need.id === this.id) this.render();
  }

  // reload fetches the need again; concurrent calls share one request.
  async reload() {
    const id = this.id;
    if (!id) return;
    if (this.loading) return this.loading;
    this.loading = (async () => {
      try {
        const n = await this.api.get(`/api/v1/needs/${encodeURIComponent(id)}`);
        if (this.id !== id) return;
        this.store.upsertNeed(n);
        this.need = n;
        this.render();
      } catch (err) {
        if (this.id === id) replace(this.el, h('p', { class: 'error' }, t('console.detail.failed', { message: errorText(err) })), this.closeButton());
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  // pickResponder takes a responder clicked on the map into the assign form.
  pickResponder(rid) {
    if (!this.need) return;
    this.picked = rid;
    const input = this.el.querySelector('input[name=responder_id]');
    if (input) input.value = rid;
  }

  closeButton() {
    return h('button', { class: 'close', id: 'detail-close', type: 'button', title: t('console.detail.close'), 'aria-label': t('console.detail.close'), onclick: () => this.onClose() }, '×');
  }

  render() {
    const n = this.need;
    // A redraw keeps the keyboard where it was: on the same control, or
    // on the detail itself.
    const focused = this.el.contains(document.activeElement) ? document.activeElement : null;
    const focusID = focused && (focused.id || (focused.name ? `[name=${focused.name}]` : ''));
    const staffedIn = n.staffed_at ? duration(Date.parse(n.staffed_at) - Date.parse(n.created_at)) : null;
    const meta = [t('console.detail.meta', { urgency: urgencyName(n.urgency), ago: duration(Math.max(0, Date.now() - Date.parse(n.created_at))) })];
    if (staffedIn) meta.push(t('console.detail.staffedIn', { duration: staffedIn }));
    meta.push(`${n.lat.toFixed(5)}, ${n.lng.toFixed(5)}`);
    replace(this.el,
      h('header', {},
        h('span', { class: `badge urgency-${n.urgency}`, 'aria-hidden': 'true' }, String(n.urgency)),
        h('h2', { id: 'detail-title' }, numbered(n)),
        h('span', { class: `pill status-${n.status}`, id: 'detail-status', dataset: { status: n.status } }, statusName(n.status)),
        this.closeButton()),
      h('p', { class: 'meta' }, meta.join(' · ')),
      n.description ? h('p', { class: 'description' }, n.description) : null,
      this.escalation(n),
      h('h3', {}, t('console.detail.team')),
      h('table', { class: 'team' },
        h('thead', {}, h('tr', {}, h('th', {}, t('console.detail.role')), h('th', {}, t('console.detail.filled')), h('th', {}, t('console.detail.asked')), h('th', {}, t('console.detail.waiting')))),
        h('tbody', {}, (n.team || []).map((m, i) => [
          h('tr', { dataset: { team: String(i) } },
            h('td', {}, roleName(m.role), m.skills && m.skills.length ? h('small', {}, ` (${m.skills.join(', ')})`) : ''),
            h('td', {}, `${m.filled}/${m.count}`),
            h('td', {}, String(m.pending)),
            h('td', {}, String(Math.max(0, m.count - m.filled - m.pending)))),
          m.shortfall && isActive(n) ? h('tr', { class: 'shortfall' }, h('td', { colspan: 4 }, t('console.detail.short', { reason: shortfallText(m.shortfall) }))) : null,
          waveRow(n, m),
        ]))),
      this.assignments(n),
      isActive(n) ? this.actions(n) : null);
    this.el.setAttribute('aria-labelledby', 'detail-title');
    if (focused) {
      const again = focusID && (focusID.startsWith('[') ? this.el.querySelector(focusID) : this.el.querySelector(`#${CSS.escape(focusID)}`));
      (again || this.el).focus();
    }
  }

  // escalation shows the need's community and how far its scope has
  // widened, with the clock to the next step.
  escalation(n) {
    if (!n.community) return null;
    const e = n.escalation;
    const canEscalate = this.features.has('post', ESCALATE_PATH) && isActive(n) && (!e || e.step < 5);
    const parts = [t('console.detail.community', { community: n.community })];
    if (e) parts.push(t('console.detail.scope', { step: stepName(e.step_name), tier: tierName(e.tier), step_no: e.step }));
    if (e && e.next_at && isActive(n)) parts.push(t('console.detail.widens', { duration: duration(Math.max(0, Date.parse(e.next_at) - Date.now())) }));
    return h('p', { class: 'escalation', id: 'detail-escalation' }, parts.join(' · '), ' ',
      canEscalate ? h('button', { id: 'escalate-need', type: 'button', onclick: () => this.escalate() }, t('console.detail.widen')) : null);
  }

  async escalate() {
    try {
      const n = await this.api.post(ESCALATE_PATH.replace('{id}', encodeURIComponent(this.id)));
      this.store.upsertNeed(n);
      this.need = n;
      this.toast(() => t('console.detail.widened', { step: n.escalation ? stepName(n.escalation.step_name) : t('console.detail.nextStep') }));
      this.render();
    } catch (err) {
      this.toast(() => t('console.detail.escalateFailed', { error: errorText(err) }), true);
    }
  }

  assignments(n) {
    const list = n.assignments || [];
    if (!list.length) return h('p', { class: 'muted' }, t('console.detail.nobody'));
    return [
      h('h3', {}, t('console.detail.people')),
      h('ul', { class: 'assignments' }, list.map((a) => h('li', { class: `state-${a.state}`, dataset: { responder: a.responder_id } },
        n.lead_id === a.responder_id ? h('span', { class: 'lead', title: t('console.detail.lead') }, '★ ', h('span', { class: 'visually-hidden' }, t('console.detail.lead'), ' ')) : '',
        h('code', {}, a.responder_id), ` ${roleName(a.role)} `,
        h('span', { class: `pill state-${a.state}` }, stateName(a.state)),
        a.distance_m ? ` ${distance(a.distance_m)}` : '',
        a.reason ? h('small', {}, ` ${withdrawnText(a.reason)}`) : '',
        fieldCell(n, a),
        this.onMessage && (a.state === 'accepted' || a.state === 'completed')
          ? h('button', { type: 'button', class: 'message-member', 'aria-label': t('console.chat.messageTo', { who: a.responder_id }), onclick: () => this.onMessage(a.responder_id) }, t('console.chat.message'))
          : null))),
    ];
  }

  actions(n) {
    const canAssign = this.features.has('post', ASSIGN_PATH);
    const cancel = this.confirming
      ? h('span', { class: 'confirm' }, t('console.detail.confirm'), ' ',
        h('button', { class: 'danger', id: 'cancel-yes', type: 'button', onclick: () => this.cancel() }, t('console.detail.cancelYes')), ' ',
        h('button', { id: 'cancel-no', type: 'button', onclick: () => { this.confirming = false; this.render(); this.el.querySelector('#cancel-need')?.focus(); } }, t('console.detail.cancelNo')))
      : h('button', { class: 'danger', id: 'cancel-need', type: 'button', onclick: () => { this.confirming = true; this.render(); this.el.querySelector('#cancel-no')?.focus(); } }, t('console.detail.cancel'));
    const roles = [...new Set((n.team || []).map((m) => m.role))];
    const form = h('form', { class: 'assign', onsubmit: (e) => { e.preventDefault(); this.assign(e.target); } },
      h('label', {}, t('console.detail.assignTo'), ' ', h('input', { name: 'responder_id', required: true, value: this.picked, autocomplete: 'off', oninput: (e) => { this.picked = e.target.value; } })),
      roles.length > 1 ? h('select', { name: 'role', 'aria-label': t('console.detail.assignRole') }, roles.map((r) => h('option', { value: r }, roleName(r)))) : null,
      h('button', { type: 'submit', id: 'assign-submit', disabled: !canAssign, title: canAssign ? t('console.detail.assignTitle') : t('console.detail.assignMissing') }, t('console.detail.assign')),
      h('small', { class: 'hint' }, t('console.detail.assignHint')));
    return h('div', { class: 'actions' }, cancel, form);
  }

  async cancel() {
    try {
      const n = await this.api.post(`/api/v1/needs/${encodeURIComponent(this.id)}/cancel`);
      this.store.upsertNeed(n);
      this.store.releaseNeed(n.id, n.status);
      this.need = n;
      this.confirming = false;
      this.toast(() => t('console.detail.cancelled'));
      this.render();
    } catch (err) {
      this.toast(() => t('console.detail.cancelFailed', { error: errorText(err) }), true);
    }
  }

  async assign(form) {
    const body = { responder_id: form.responder_id.value.trim() };
    if (form.role) body.role = form.role.value;
    try {
      const n = await this.api.post(ASSIGN_PATH.replace('{id}', encodeURIComponent(this.id)), body);
      if (n && n.id) {
        this.store.upsertNeed(n);
        this.need = n;
      }
      this.picked = '';
      this.toast(() => t('console.detail.offered', { id: body.responder_id }));
      await this.reload();
    } catch (err) {
      this.toast(() => t('console.detail.assignFailed', { error: errorText(err) }), true);
    }
  }
}

// waveRow says how an open place is offered when its urgency is offered in
// waves: the estimated acceptance and how many offers go out at once.
function waveRow(n, m) {
  if (!m.wave || !isActive(n) || m.filled >= m.count) return null;
  return h('tr', { class: 'wave' }, h('td', { colspan: 4 }, t('console.detail.wave', {
    p: String(Math.round(m.wave.p_accept * 100)), size: String(m.wave.size), out: String(m.wave.outstanding),
  })));
}
