// The responder's own service: hours credited so far and the signed
// service record, downloaded as CSV or a printable page (fetched with the
// session token, which a plain link could not carry).
import { h, replace } from '../lib/dom.js';
import { lang, t } from '../lib/i18n.js';
import { number } from '../lib/format.js';

export class ServiceCard {
  constructor(el, api, me, token) {
    this.el = el;
    this.api = api;
    this.me = me;
    this.token = token;
    this.hours = null;
  }

  async refresh() {
    let hours;
    try {
      hours = await this.api.get(`/api/v1/responders/${encodeURIComponent(this.me)}/hours`);
    } catch {
      return; // the card stays as it was; the next refresh tries again
    }
    this.hours = hours;
    this.draw();
  }

  // draw shows the last hours read, in the current language.
  draw() {
    const hours = this.hours;
    if (!hours) return;
    const n = hours.entries.length;
    const rated = hours.entries.filter((e) => e.rating);
    const mean = rated.length ? rated.reduce((s, e) => s + e.rating, 0) / rated.length : null;
    const fixed = (x, d) => number(x, { minimumFractionDigits: d, maximumFractionDigits: d });
    replace(this.el,
      h('h3', {}, t('respond.service.title')),
      h('p', { class: 'service-total' }, t('respond.service.total', { hours: fixed(hours.total_hours, 2), count: n }),
        mean === null ? '' : t('respond.service.rated', { mean: fixed(mean, 1) })),
      h('div', { class: 'where-buttons' },
        h('button', { type: 'button', onclick: () => this.download('csv') }, t('respond.service.csv')),
        h('button', { type: 'button', onclick: () => this.download('html') }, t('respond.service.printable'))));
    this.el.hidden = false;
  }

  async download(format) {
    const res = await fetch(`/api/v1/responders/${encodeURIComponent(this.me)}/service-record?format=${format}&lang=${lang()}`, {
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
