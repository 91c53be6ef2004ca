// On-call coverage (GET /api/v1/oncall/coverage): for each street and
// each organisation, a strip of the next 24 hours, each hour's cell the
// number on call (its title says how many of each role), and above it
// the gaps as warnings: a street with no social worker on call at night. Read at start and
// every few minutes; rosters change by the day, not the second.
import { h, replace } from '../lib/dom.js';
import { ROLES, roleName, timeOfDay } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { num } from './say.js';

const POLL_MS = 5 * 60 * 1000;

// cell is one hour of a row: the number on call, its roles in the title.
function cell(byRole, at) {
  const total = ROLES.reduce((sum, r) => sum + (byRole[r] || 0), 0);
  const detail = ROLES.filter((r) => byRole[r]).map((r) => `${roleName(r)} ${num(byRole[r])}`).join(', ');
  const title = t('console.coverage.cell', { hour: timeOfDay(at), count: num(total), detail: detail || t('console.coverage.nobody') });
  const level = total === 0 ? 0 : total < 3 ? 1 : 2;
  return h('td', { class: `coverage-cell level-${level}${byRole.social_worker ? ' has-sw' : ''}`, title, 'aria-label': title }, total ? num(total) : '');
}

// scroller holds a wide table: a named region the keyboard can reach, so
// that it scrolls without a mouse.
function scroller(kind, label, table) {
  return h('div', { class: `coverage-scroll ${kind}`, role: 'region', tabindex: '0', 'aria-label': label }, table);
}

export class Coverage {
  constructor(el, api) {
    this.el = el;
    this.api = api;
    this.data = null;
    this.failed = false;
    this.timer = null;
  }

  start() {
    this.refresh();
  }

  async refresh() {
    clearTimeout(this.timer);
    try {
      this.data = await this.api.get('/api/v1/oncall/coverage?hours=24');
      this.failed = false;
    } catch (err) {
      this.failed = err.status !== 401;
    }
    this.redraw();
    this.timer = setTimeout(() => this.refresh(), POLL_MS);
  }

  redraw() {
    const d = this.data;
    if (!d) {
      replace(this.el, this.failed ? h('p', { class: 'coverage-note' }, t('console.coverage.failed')) : '');
      return;
    }
    const gaps = (d.gaps || []).map((g) => h('li', { class: 'coverage-gap', dataset: { street: g.street } },
      t('console.coverage.gap', { street: g.name || g.street, from: timeOfDay(g.from), to: timeOfDay(g.to) })));
    const hours = d.hours || [];
    const table = (rows, head, caption) => h('table', { class: 'coverage-table' },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, head),
        hours.map((at, i) => h('th', { scope: 'col', class: 'coverage-hour' }, i % 3 === 0 ? timeOfDay(at) : h('span', { class: 'visually-hidden' }, timeOfDay(at)))))),
      h('tbody', {}, rows.map((r) => h('tr', { dataset: { id: r.id } },
        h('th', { scope: 'row' }, r.name || r.id),
        (r.hours || []).map((byRole, i) => cell(byRole, hours[i]))))));
    const streets = d.streets || [];
    replace(this.el,
      h('h2', {}, t('console.coverage.heading')),
      gaps.length
        ? h('ul', { class: 'coverage-gaps', role: 'list', 'aria-label': t('console.coverage.gaps') }, gaps)
        : h('p', { class: 'coverage-ok' }, t('console.coverage.nogaps')),
      streets.length
        ? h('details', {}, h('summary', {}, t('console.coverage.table')),
          scroller('streets', t('console.coverage.table'), table(streets, t('console.coverage.street'), t('console.coverage.caption', { from: d.night_from, to: d.night_to }))),
          scroller('orgs', t('console.coverage.orgCaption'), table(d.organisations || [], t('console.coverage.org'), t('console.coverage.orgCaption'))))
        : h('p', { class: 'coverage-note' }, t('console.coverage.nostreets')));
  }
}
