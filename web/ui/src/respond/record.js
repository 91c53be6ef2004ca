// The responder's own service: hours credited so far and the signed
// service record, downloaded as CSV or a printable page (fetched with the
// session token, which a plain link could not carry).
import { h, replace } from '../lib/dom.js';

export class ServiceCard {
  constructor(el, api, me, token) {
    this.el = el;
    this.api = api;
    this.me = me;
    this.token = token;
  }

  async refresh() {
    let hours;
    try {
      hours = await this.api.get(`/api/v1/responders/${encodeURIComponent(this.me)}/hours`);
    } catch {
      return; // the card stays as it was; the next refresh tries again
    }
    const n = hours.entries.length;
    const rated = hours.entries.filter((e) => e.rating);
    const mean = rated.length ? rated.reduce((s, e) => s + e.rating, 0) / rated.length : null;
    replace(this.el,
      h('h3', {}, 'My service 我的服务'),
      h('p', { class: 'service-total' }, `${hours.total_hours.toFixed(2)} h over ${n} ${n === 1 ? 'task' : 'tasks'}`,
        mean === null ? '' : ` · rated ${mean.toFixed(1)} / 5`),
      h('div', { class: 'where-buttons' },
        h('button', { type: 'button', onclick: () => this.download('csv') }, 'Record (CSV)'),
        h('button', { type: 'button', onclick: () => this.download('html') }, 'Printable record')));
    this.el.hidden = false;
  }

  async download(format) {
    const res = await fetch(`/api/v1/responders/${encodeURIComponent(this.me)}/service-record?format=${format}`, {
      headers: { Authorization: `Bearer ${this.token()}` }, cache: 'no-store',
    });
    if (!res.ok) return;
    const url = URL.createObjectURL(await res.blob());
    const a = h('a', { href: url, download: `service-record-${this.me}.${format}` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }
}
