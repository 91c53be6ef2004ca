// The demonstration, for admins: on an empty console a button loads the
// illustrative city with simulated responders and needs (POST
// /api/v1/demo); while demo records exist, a marker says so and a button
// removes every one of them (DELETE /api/v1/demo). Everything the demo
// creates has an id starting "demo-".
import './demo.css';
import { h, replace } from '../lib/dom.js';
import { register, t, onLangChange } from '../lib/i18n.js';
import { catalogue } from './demo-messages.js';

register(catalogue);

const PATH = '/api/v1/demo';
const POLL_MS = 15000;
export const isDemo = (id) => typeof id === 'string' && id.startsWith('demo-');

// DemoControls draws into the header's tools for an admin. api is the
// console's client; token gives the session's token (the client has no
// DELETE).
export class DemoControls {
  constructor({ api, token, role, store, toast, tools }) {
    Object.assign(this, { api, token, store, toast });
    this.state = null;
    this.busy = false;
    if (role !== 'admin' || !tools) return;
    this.el = h('div', { class: 'demo', id: 'demo' });
    tools.append(this.el);
    store.onChange(() => this.render());
    onLangChange(() => this.render());
    this.refresh();
    setInterval(() => this.refresh(), POLL_MS);
  }

  async refresh() {
    try {
      this.state = await this.api.get(PATH);
    } catch {
      this.state = null; // an older server, or offline: show nothing
    }
    this.render();
  }

  hasRecords() {
    const s = this.state;
    return !!s && (s.running || s.needs + s.responders + s.organisations + s.depots > 0);
  }

  render() {
    if (!this.el) return;
    // Once the server says no demo exists, demo ids on the map are stale:
    // the events of its removal (people going off duty) may arrive after
    // the answer that removed it.
    if (this.state && !this.hasRecords()) this.forget();
    if (!this.state) {
      replace(this.el);
      return;
    }
    if (this.hasRecords()) {
      replace(this.el,
        h('span', { class: 'demo-marker', id: 'demo-marker', title: t('demo.marker_hint') }, t('demo.marker')),
        h('button', { type: 'button', id: 'demo-remove', title: t('demo.remove_hint'), disabled: this.busy, onclick: () => this.remove() }, t('demo.remove')));
      return;
    }
    const empty = this.store.needs.size === 0 && this.store.responders.size === 0;
    replace(this.el, empty
      ? h('button', { type: 'button', id: 'demo-load', title: t('demo.load_hint'), disabled: this.busy, onclick: () => this.start() }, t('demo.load'))
      : null);
  }

  async start() {
    this.busy = true;
    this.render();
    try {
      this.state = await this.api.post(PATH);
      this.toast(t('demo.started'));
    } catch (err) {
      this.toast(err.code === 'demo_running' ? t('demo.running') : t('demo.failed', { reason: err.message }), err.code !== 'demo_running');
      await this.refresh();
    } finally {
      this.busy = false;
      this.render();
    }
  }

  async remove() {
    this.busy = true;
    this.render();
    try {
      const res = await fetch(PATH, { method: 'DELETE', headers: { Accept: 'application/json', Authorization: `Bearer ${this.token()}` }, cache: 'no-store' });
      const body = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error((body.error && body.error.message) || String(res.status));
      this.forget();
      this.toast(t('demo.removed', { count: body.removed || 0 }));
    } catch (err) {
      this.toast(t('demo.failed', { reason: err.message }), true);
    } finally {
      this.busy = false;
      await this.refresh();
    }
  }

  // forget takes the demo's needs, people and offers off the map at once:
  // the server deleted them, so no event will.
  forget() {
    const s = this.store;
    const any = (m) => [...m.keys()].some(isDemo);
    if (!any(s.needs) && !any(s.responders) && ![...s.offers.values()].some((o) => isDemo(o.needID) || isDemo(o.responderID))) return;
    for (const id of [...s.needs.keys()]) if (isDemo(id)) s.needs.delete(id);
    for (const id of [...s.responders.keys()]) if (isDemo(id)) s.responders.delete(id);
    for (const [id, o] of [...s.offers]) if (isDemo(o.needID) || isDemo(o.responderID)) s.offers.delete(id);
    s.changed('needs');
    s.changed('responders');
    s.changed('offers');
  }
}
