// The detail of one need: its team, each place's state and the reason for
// any shortfall, with Cancel and Assign.
import { h, replace } from '../lib/dom.js';
import { ago, category, distance, duration, roleName, shortfallText, urgencyName } from '../lib/format.js';
import { isActive } from './store.js';

export const ASSIGN_PATH = '/api/v1/needs/{id}/assign';
export const ESCALATE_PATH = '/api/v1/needs/{id}/escalate';
const REFRESH_MS = 3000;

export class NeedDetail {
  constructor(el, { api, store, features, onClose, toast }) {
    Object.assign(this, { el, api, store, features, onClose, toast });
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
    if (!this.need || this.need.id !== id) replace(this.el, h('p', { class: 'muted' }, 'Loading…'));
    await this.reload();
  }

  hide() {
    this.id = null;
    this.need = null;
    this.el.hidden = true;
    replace(this.el);
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
        if (this.id === id) replace(this.el, h('p', { class: 'error' }, `Cannot load the need: ${err.message}`), this.closeButton());
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
    return h('button', { class: 'close', title: 'Close', 'aria-label': 'Close', onclick: () => this.onClose() }, '×');
  }

  render() {
    const n = this.need;
    const typing = document.activeElement && document.activeElement.name === 'responder_id' && this.el.contains(document.activeElement);
    const staffedIn = n.staffed_at ? duration(Date.parse(n.staffed_at) - Date.parse(n.created_at)) : null;
    replace(this.el,
      h('header', {},
        h('span', { class: `badge urgency-${n.urgency}` }, String(n.urgency)),
        h('h2', {}, category(n.category)),
        h('span', { class: `pill status-${n.status}`, id: 'detail-status' }, n.status),
        this.closeButton()),
      h('p', { class: 'meta' },
        `${urgencyName(n.urgency)} · created ${ago(n.created_at)} ago`,
        staffedIn ? ` · staffed in ${staffedIn}` : '',
        ` · ${n.lat.toFixed(5)}, ${n.lng.toFixed(5)}`),
      n.description ? h('p', { class: 'description' }, n.description) : null,
      this.escalation(n),
      h('h3', {}, 'Team'),
      h('table', { class: 'team' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Role'), h('th', {}, 'Filled'), h('th', {}, 'Asked'), h('th', {}, 'Waiting'))),
        h('tbody', {}, (n.team || []).map((t, i) => [
          h('tr', { dataset: { team: String(i) } },
            h('td', {}, roleName(t.role), t.skills && t.skills.length ? h('small', {}, ` (${t.skills.join(', ')})`) : ''),
            h('td', {}, `${t.filled}/${t.count}`),
            h('td', {}, String(t.pending)),
            h('td', {}, String(Math.max(0, t.count - t.filled - t.pending)))),
          t.shortfall && isActive(n) ? h('tr', { class: 'shortfall' }, h('td', { colspan: 4 }, `Short: ${shortfallText(t.shortfall)}`)) : null,
        ]))),
      this.assignments(n),
      isActive(n) ? this.actions(n) : null);
    if (typing) this.el.querySelector('input[name=responder_id]')?.focus();
  }

  // escalation shows the need's community and how far its scope has
  // widened, with the clock to the next step.
  escalation(n) {
    if (!n.community) return null;
    const e = n.escalation;
    const canEscalate = this.features.has('post', ESCALATE_PATH) && isActive(n) && (!e || e.step < 5);
    return h('p', { class: 'escalation', id: 'detail-escalation' },
      `Community ${n.community}`,
      e ? ` · scope: ${e.step_name} (${e.tier}, step ${e.step}/5)` : '',
      e && e.next_at && isActive(n) ? ` · widens in ${duration(Math.max(0, Date.parse(e.next_at) - Date.now()))}` : '',
      canEscalate ? h('button', { id: 'escalate-need', onclick: () => this.escalate() }, 'Widen now') : null);
  }

  async escalate() {
    try {
      const n = await this.api.post(ESCALATE_PATH.replace('{id}', encodeURIComponent(this.id)));
      this.store.upsertNeed(n);
      this.need = n;
      this.toast(`Widened to ${n.escalation ? n.escalation.step_name : 'the next step'}.`);
      this.render();
    } catch (err) {
      this.toast(`Escalate failed: ${err.message}`, true);
    }
  }

  assignments(n) {
    const list = n.assignments || [];
    if (!list.length) return h('p', { class: 'muted' }, 'Nobody has been asked yet.');
    return [
      h('h3', {}, 'People'),
      h('ul', { class: 'assignments' }, list.map((a) => h('li', { class: `state-${a.state}`, dataset: { responder: a.responder_id } },
        n.lead_id === a.responder_id ? h('span', { class: 'lead', title: 'team lead' }, '★ ') : '',
        h('code', {}, a.responder_id), ` ${roleName(a.role)} `,
        h('span', { class: `pill state-${a.state}` }, a.state),
        a.distance_m ? ` ${distance(a.distance_m)}` : '',
        a.reason ? h('small', {}, ` ${a.reason.replace(/_/g, ' ')}`) : ''))),
    ];
  }

  actions(n) {
    const canAssign = this.features.has('post', ASSIGN_PATH);
    const cancel = this.confirming
      ? h('span', { class: 'confirm' }, 'Cancel this need? ',
        h('button', { class: 'danger', id: 'cancel-yes', onclick: () => this.cancel() }, 'Yes, cancel'),
        h('button', { onclick: () => { this.confirming = false; this.render(); } }, 'No'))
      : h('button', { class: 'danger', id: 'cancel-need', onclick: () => { this.confirming = true; this.render(); } }, 'Cancel need');
    const roles = [...new Set((n.team || []).map((t) => t.role))];
    const form = h('form', { class: 'assign', onsubmit: (e) => { e.preventDefault(); this.assign(e.target); } },
      h('label', {}, 'Assign ', h('input', { name: 'responder_id', placeholder: 'responder id', required: true, value: this.picked, autocomplete: 'off', oninput: (e) => { this.picked = e.target.value; } })),
      roles.length > 1 ? h('select', { name: 'role' }, roles.map((r) => h('option', { value: r }, roleName(r)))) : null,
      h('button', { type: 'submit', disabled: !canAssign, title: canAssign ? 'Offer this need to this person' : 'The server does not offer assignment yet' }, 'Assign'),
      h('small', { class: 'hint' }, 'or click a responder on the map'));
    return h('div', { class: 'actions' }, cancel, form);
  }

  async cancel() {
    try {
      const n = await this.api.post(`/api/v1/needs/${encodeURIComponent(this.id)}/cancel`);
      this.store.upsertNeed(n);
      this.store.releaseNeed(n.id, n.status);
      this.need = n;
      this.confirming = false;
      this.toast('Need cancelled; its offers are withdrawn.');
      this.render();
    } catch (err) {
      this.toast(`Cancel failed: ${err.message}`, true);
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
      this.toast(`Offered to ${body.responder_id}.`);
      await this.reload();
    } catch (err) {
      this.toast(`Assign failed: ${err.message}`, true);
    }
  }
}
