// The need list: active needs, most urgent first and, within an urgency,
// the longest waiting first, with the time since each was created. Rows
// are kept and updated in place, so that a click is not lost to a redraw
// while events stream in.
import { h, replace } from '../lib/dom.js';
import { ago, category, urgencyName } from '../lib/format.js';
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
    this.list = h('ol', { class: 'need-list' });
    this.empty = h('p', { class: 'empty' }, 'No active needs. Right-click the map, or use “New need”, to file one.');
    this.more = h('p', { class: 'more muted' });
    const pick = (e) => {
      const row = e.target.closest('.need-row');
      if (row && (e.type === 'click' || e.key === 'Enter')) onSelect(row.dataset.id);
    };
    this.list.addEventListener('click', pick);
    this.list.addEventListener('keydown', pick);
    replace(el, h('h2', {}, 'Needs ', this.count), this.empty, this.list, this.more);
    setInterval(() => this.render(), 10000); // the ages move on
  }

  select(id) {
    this.selected = id;
    this.render();
  }

  render() {
    const all = sortNeeds([...this.store.needs.values()]);
    const needs = all.slice(0, MAX_ROWS);
    const now = Date.now();
    this.count.textContent = `${all.length} active`;
    this.empty.hidden = all.length > 0;
    this.more.hidden = all.length <= MAX_ROWS;
    this.more.textContent = `and ${all.length - MAX_ROWS} more`;
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
    const sig = `${n.status}|${n.urgency}|${filled}/${totalSlots(n)}|${n.category}|${n.id === this.selected}`;
    let row = this.rows.get(n.id);
    if (row && row.sig === sig) return row;
    if (!row) {
      row = { li: h('li', { tabindex: 0, dataset: { id: n.id } }), age: h('span', { class: 'age' }) };
      this.rows.set(n.id, row);
    }
    row.sig = sig;
    row.li.className = `need-row status-${n.status}${n.id === this.selected ? ' selected' : ''}`;
    row.li.dataset.status = n.status;
    row.age.title = new Date(n.createdMs).toLocaleString();
    replace(row.li,
      h('span', { class: `badge urgency-${n.urgency || 4}`, title: urgencyName(n.urgency) }, String(n.urgency || '?')),
      h('span', { class: 'what' }, category(n.category)),
      h('span', { class: `pill status-${n.status}` }, n.status),
      h('span', { class: 'slots', title: 'places filled' }, `${filled}/${totalSlots(n)}`),
      row.age);
    return row;
  }
}
