// Filing a need by clicking the map: in "New need" mode (or with a right
// click anywhere) a form opens at the point; it posts to /api/v1/needs with
// an Idempotency-Key so that a double click files one need.
import L from 'leaflet';
import { h, randomID } from '../lib/dom.js';
import { ROLES, category, roleName, urgencyName } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { errorText, needName } from './say.js';

const CATEGORIES = ['welfare_check', 'elderly_checkin', 'medical', 'food_delivery', 'medicine_delivery', 'evacuation', 'mental_health', 'other'];

export class NeedCreator {
  constructor(map, { api, store, onCreated, toast, button }) {
    Object.assign(this, { map, api, store, onCreated, toast, button });
    this.active = false;
    this.popup = null;
    button.addEventListener('click', () => this.toggle());
    map.on('click', (e) => { if (this.active) this.open(e.latlng); });
    map.on('contextmenu', (e) => this.open(e.latlng));
  }

  toggle(on = !this.active) {
    this.active = on;
    this.button.classList.toggle('on', on);
    this.map.getContainer().classList.toggle('picking', on);
  }

  open(latlng) {
    const teamRows = h('div', { class: 'team-rows' });
    const addRow = (role = 'volunteer', count = 1) => {
      teamRows.append(h('div', { class: 'team-row' },
        h('select', { name: 'role', 'aria-label': t('console.create.role') }, ROLES.map((r) => h('option', { value: r, selected: r === role }, roleName(r)))),
        h('input', { name: 'count', type: 'number', min: 1, max: 50, value: String(count), 'aria-label': t('console.create.count') }),
        h('input', { name: 'skills', placeholder: t('console.create.skillsHint'), 'aria-label': t('console.create.skills') })));
    };
    addRow();
    // The category is a code the server keeps; the list offers the known
    // ones by name, and any other code may be typed.
    const form = h('form', { class: 'create-need', onsubmit: (e) => { e.preventDefault(); this.submit(form, latlng); } },
      h('h3', {}, t('console.create.title')),
      h('label', {}, t('console.create.category'), ' ', h('input', { name: 'category', list: 'need-categories', required: true, value: 'welfare_check', maxlength: 64 })),
      h('datalist', { id: 'need-categories' }, CATEGORIES.map((c) => h('option', { value: c, label: category(c) }))),
      h('label', {}, t('console.create.urgency'), ' ', h('select', { name: 'urgency' }, [1, 2, 3, 4].map((u) => h('option', { value: String(u), selected: u === 3 }, t('console.create.urgencyOption', { level: u, name: urgencyName(u) }))))),
      h('fieldset', {}, h('legend', {}, t('console.create.team')), teamRows,
        h('button', { type: 'button', class: 'link', onclick: () => addRow() }, t('console.create.another'))),
      h('label', {}, t('console.create.description'), ' ', h('textarea', { name: 'description', rows: 2, maxlength: 2000, placeholder: t('console.create.descriptionHint') })),
      h('p', { class: 'coords' }, `${latlng.lat.toFixed(5)}, ${latlng.lng.toFixed(5)}`),
      h('button', { type: 'submit', class: 'primary' }, t('console.create.submit')));
    form.dataset.key = randomID();
    this.popup = L.popup({ minWidth: 260, maxWidth: 320, className: 'form-popup' }).setLatLng(latlng).setContent(form).openOn(this.map);
  }

  async submit(form, latlng) {
    const team = [...form.querySelectorAll('.team-row')].map((row) => ({
      role: row.querySelector('[name=role]').value,
      count: Number(row.querySelector('[name=count]').value) || 1,
      skills: row.querySelector('[name=skills]').value.split(',').map((s) => s.trim()).filter(Boolean),
    }));
    const body = {
      lat: Number(latlng.lat.toFixed(6)),
      lng: Number(latlng.lng.toFixed(6)),
      category: form.category.value.trim(),
      urgency: Number(form.urgency.value),
      team,
      description: form.description.value.trim(),
    };
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const n = await this.api.post('/api/v1/needs', body, { 'Idempotency-Key': form.dataset.key });
      const stored = this.store.upsertNeed(n);
      this.map.closePopup(this.popup);
      this.toggle(false);
      this.toast(() => t('console.create.filed', { need: needName(stored) }));
      this.onCreated(n.id);
    } catch (err) {
      button.disabled = false;
      this.toast(() => t('console.create.failed', { error: errorText(err) }), true);
    }
  }
}
