// The need list: active needs, most urgent first and, within an urgency,
// the longest waiting first, with the time since each was created. Rows
// are kept and updated in place, so that a click is not lost to a redraw
// while events stream in. Rows are focusable: Enter or Space opens the
// need's detail.
import { h, replace } from '../lib/dom.js';
import { ago, urgencyName } from '../lib/format.js';
import { lang, t } from '../lib/i18n.js';
import { num, numbered, statusName, when } from './say.js';
import { isActive, openSlots, totalSlots } from './store.js';

const MAX_ROWS = 300;

export function sortNeeds(needs) {
  return needs.filter(isActive).sort((a, b) => (a.urgency || 9) - (b.urgency || 9) || a.createdMs - b.createdMs || (a.id < b.id ? -1 : 1));
}

export class NeedList {
  constructor(el, store, onSelect) {
    this.store = store;
    this.selected = null;
    this.rows = new Map(); // id -> {li, sig, age}
    this.count = h('small', { id: 'need-count' });
    this.heading = h('span', { id: 'needs-heading' });
    this.list = h('ol', { class: 'need-list', 'aria-labelledby': 'needs-heading' });
    this.empty = h('p', { class: 'empty' });
    this.more = h('p', { class: 'more muted' });
    const pick = (e) => {
      const row = e.target.closest('.need-row');
      if (!row) return;
      if (e.type === 'keydown' && e.key !== 'Enter' && e.key !== ' ') return;
      e.preventDefault();
      onSelect(row.dataset.id);
    };
    this.list.addEventListener('click', pick);
    this.list.addEventListener('keydown', pick);
    replace(el, h('h2', {}, this.heading, ' ', this.count), this.empty, this.list, this.more);
    setInterval(() => this.render(), 10000); // the ages move on
  }

  select(id) {
    this.selected = id;
    this.render();
  }

  // focus puts the keyboard back on a need's row (after its detail closes).
  focus(id) {
    const row = this.rows.get(id);
    if (row) row.li.focus();
  }

  render() {
    const all = sortNeeds([...this.store.needs.values()].filter((n) => this.store.shows(n)));
    const needs = all.slice(0, MAX_ROWS);
    const now = Date.now();
    this.heading.textContent = t('console.needs.heading');
    this.count.textContent = t('console.needs.count', { count: num(all.length) });
    this.empty.textContent = t('console.needs.empty');
    this.empty.hidden = all.length > 0;
    this.more.hidden = all.length <= MAX_ROWS;
    this.more.textContent = t('console.needs.more', { count: num(all.length - MAX_ROWS) });
    const keep = new Set();
    needs.forEach((n, i) => {
      keep.add(n.id);
      const row = this.row(n);
      row.age.textContent = ago(n.createdMs, now);
      const at = this.list.children[i];
      if (at !== row.li) this.list.insertBefore(row.li, at || null);
    });
    for (const [id, row] of this.rows) {
      if (!keep.has(id)) {
        row.li.remove();
        this.rows.delete(id);
      }
    }
  }

  // row returns the need's row, redrawn when what it shows changed.
  row(n) {
    const filled = totalSlots(n) - openSlots(n);
    const sig = `${n.status}|${n.urgency}|${filled}/${totalSlots(n)}|${n.category}|${n.number}|${n.id === this.selected}|${lang()}`;
    let row = this.rows.get(n.id);
    if (row && row.sig === sig) return row;
    if (!row) {
      row = { li: h('li', { tabindex: 0, dataset: { id: n.id } }), age: h('span', { class: 'age' }) };
      this.rows.set(n.id, row);
    }
    row.sig = sig;
    row.li.className = `need-row status-${n.status}${n.id === this.selected ? ' selected' : ''}`;
    row.li.dataset.status = n.status;
    row.li.setAttribute('aria-current', n.id === this.selected ? 'true' : 'false');
    row.age.title = t('console.needs.created', { time: when(n.createdMs) });
    replace(row.li,
      h('span', { class: `badge urgency-${n.urgency || 4}`, title: urgencyName(n.urgency), 'aria-hidden': 'true' }, String(n.urgency || '?')),
      h('span', { class: 'what' }, numbered(n), h('span', { class: 'visually-hidden' }, ' · ', urgencyName(n.urgency))),
      h('span', { class: `pill status-${n.status}` }, statusName(n.status)),
      h('span', { class: 'slots', title: t('console.needs.slots') }, `${filled}/${totalSlots(n)}`),
      row.age);
    return row;
  }
}
