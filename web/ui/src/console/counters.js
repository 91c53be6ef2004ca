// The counters over the map: needs by status, available responders by
// role and the median time to staffed, from GET /api/v1/stats.
import { h, replace } from '../lib/dom.js';
import { ROLES, duration, roleLetter, roleName } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { num } from './say.js';

const POLL_MS = 5000;
const MIN_GAP_MS = 1500;


export class Counters {
  // outageEl, when given, is shown while the server says its data store
  // is not answering.
  constructor(el, api, outageEl) {
    this.el = el;
    this.api = api;
    this.outageEl = outageEl;
    this.last = 0;
    this.timer = null;
    this.stats = null;
    this.down = false;
  }

  // redraw says the last figures and the banner again (a new language).
  redraw() {
    if (this.stats) this.render(this.stats);
    this.outage(this.down);
  }

  start() {
    this.refresh();
  }

  // soon refreshes after events, at most every MIN_GAP_MS.
  soon() {
    const wait = Math.max(0, this.last + MIN_GAP_MS - Date.now());
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), wait);
  }

  async refresh() {
    clearTimeout(this.timer);
    this.last = Date.now();
    try {
      this.render(await this.api.get('/api/v1/stats'));
      this.outage(false);
    } catch (err) {
      if (err.status !== 401) this.el.classList.add('stale');
      if (err.status === 503) this.outage(true);
    }
    this.timer = setTimeout(() => this.refresh(), POLL_MS);
  }

  // outage shows what the operator is told while the server answers 503:
  // its data store (Redis) is down or restarting.
  outage(on) {
    this.down = on;
    if (!this.outageEl) return;
    this.outageEl.textContent = on ? t('console.outage') : '';
    this.outageEl.hidden = !on;
  }

  render(s) {
    this.stats = s;
    this.el.classList.remove('stale');
    const needs = s.needs || {};
    const avail = (s.responders && s.responders.available) || {};
    const median = s.time_to_staffed && s.time_to_staffed.median_seconds;
    const item = (key, label, value, title) => h('span', { class: `counter ${key}`, dataset: { counter: key }, title: title || label },
      h('b', {}, value), ` ${label}`);
    replace(this.el,
      item('open', t('console.counter.open'), num(needs.open ?? 0)),
      item('staffing', t('console.counter.staffing'), num(needs.staffing ?? 0)),
      item('staffed', t('console.counter.staffed'), num(needs.staffed ?? 0)),
      h('span', { class: 'sep' }),
      h('span', { class: 'counter available', title: t('console.counter.available.title') }, t('console.counter.available'), ' ',
        ROLES.map((r) => h('span', { class: `role role-${r}`, dataset: { counter: `available-${r}` }, title: roleName(r) },
          roleLetter(r), ' ', h('b', {}, num(avail[r] ?? 0))))),
      h('span', { class: 'sep' }),
      item('median', t('console.counter.median'), median == null ? '–' : duration(median * 1000),
        s.time_to_staffed ? t('console.counter.median.title', { minutes: num(Math.round(s.time_to_staffed.window_seconds / 60)), count: num(s.time_to_staffed.count) }) : ''));
  }
}
