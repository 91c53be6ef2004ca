// The incidents panel: the active incidents (name, kind, exercise badge,
// counts), a selector that narrows the map and the need list to one
// incident's needs, an incident's figures, and, for admins and operators,
// opening one (its area drawn on the map or a loaded area) and closing one
// after a confirmation. The server publishes no incident events, so the
// list is read again every 15 seconds: an incident a CAP warning opened
// appears within that time, without a reload.
import L from 'leaflet';
import { h, replace } from '../lib/dom.js';
import { category } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { errorText } from '../lib/errors.js';
import { KINDS, kindName } from '../lib/incidentkind.js';
import { num, statusName, when } from './say.js';

export const INCIDENTS_PATH = '/api/v1/incidents';
export const POLL_MS = 15000;
const MANAGERS = new Set(['admin', 'operator']);

// minutes says seconds as whole minutes (or '–' when there is no figure).
const minutes = (s) => (s === null || s === undefined ? '–' : t('console.incident.minutes', { n: num(s / 60, 1) }));

export class IncidentsPanel {
  constructor({ map, api, store, role, picker, panel }) {
    Object.assign(this, { map, api, store, picker, panel });
    this.canManage = MANAGERS.has(role);
    this.incidents = [];
    this.figures = new Map(); // id -> figures of an active incident
    this.selected = ''; // the incident the console shows; '' all
    this.shown = null; // the incident whose figures are open
    this.confirming = false;
    this.form = null; // the create form's state while it is open
    this.outline = L.layerGroup().addTo(map);
    this.drawing = L.layerGroup().addTo(map);
    this.select = h('select', { id: 'incident-select', onchange: () => this.choose(this.select.value) });
    this.label = h('label', { for: 'incident-select', class: 'incident-picker-label' });
    replace(picker, this.label, ' ', this.select);
    this.listEl = h('div');
    this.figEl = h('div', { id: 'incident-figures' });
    this.msgEl = h('p', { class: 'incident-message', role: 'status' });
    this.formEl = h('div');
    replace(panel, this.listEl, this.figEl, this.msgEl, this.formEl);
    this.renderForm();
    map.on('click', (e) => this.mapClick(e.latlng));
  }

  start() {
    this.refresh();
    setInterval(() => this.refresh(), POLL_MS);
  }

  // refresh reads the incidents and the figures of the active ones.
  async refresh() {
    try {
      const res = await this.api.get(INCIDENTS_PATH);
      this.incidents = res.incidents || [];
      this.error = null;
      await Promise.all(this.incidents.filter((i) => i.status === 'active' || i.id === this.shown).map(async (i) => {
        try {
          const full = await this.api.get(`${INCIDENTS_PATH}/${encodeURIComponent(i.id)}`);
          this.figures.set(i.id, full.figures);
        } catch {
          // the list still shows it; its counts wait for the next read
        }
      }));
    } catch (err) {
      this.error = err;
    }
    this.render();
  }

  active() {
    return this.incidents.filter((i) => i.status === 'active');
  }

  byID(id) {
    return this.incidents.find((i) => i.id === id);
  }

  // choose narrows the console to an incident ('' is every need): the
  // filter uses the incident_id of each need; the incident's needs are
  // read once so that the list holds them all.
  async choose(id) {
    this.selected = id;
    this.select.value = id;
    this.store.setFilter(id ? (n) => n.incident_id === id : null);
    document.body.dataset.incident = id;
    this.drawOutline();
    if (id) this.openFigures(id);
    this.render();
    if (!id) return;
    try {
      const res = await this.api.get(`/api/v1/needs?incident=${encodeURIComponent(id)}&limit=1000`);
      for (const n of res.needs || []) this.store.upsertNeed(n);
    } catch (err) {
      this.say(t('console.incident.failed', { error: errorText(err) }));
    }
  }

  // onEvent: a need announced by an event does not name its incident;
  // while one is chosen, the need is read so that the filter knows.
  onEvent(type, d) {
    if (type !== 'need.created' || !this.selected || !d.need_id) return;
    this.api.get(`/api/v1/needs/${encodeURIComponent(d.need_id)}`).then((n) => this.store.upsertNeed(n)).catch(() => {});
  }

  drawOutline() {
    this.outline.clearLayers();
    const inc = this.byID(this.selected);
    if (!inc || !inc.area) return;
    const layer = L.geoJSON(inc.area, { style: { color: '#b35806', weight: 2, fillOpacity: 0.05, dashArray: '6 4' }, interactive: false });
    layer.addTo(this.outline);
    const b = layer.getBounds();
    if (b.isValid()) this.map.fitBounds(b, { maxZoom: 15, animate: false });
  }

  async openFigures(id) {
    this.shown = id;
    this.confirming = false;
    this.render();
    try {
      const full = await this.api.get(`${INCIDENTS_PATH}/${encodeURIComponent(id)}`);
      this.figures.set(id, full.figures);
      this.render();
    } catch (err) {
      this.say(t('console.incident.failed', { error: errorText(err) }));
    }
  }

  say(text) {
    this.msgEl.textContent = text;
  }

  render() {
    const active = this.active();
    this.label.textContent = t('console.incident.picker');
    const options = [h('option', { value: '' }, t('console.incident.all'))];
    for (const i of active) options.push(h('option', { value: i.id }, this.title(i)));
    const chosen = this.byID(this.selected);
    if (chosen && chosen.status !== 'active') options.push(h('option', { value: chosen.id }, t('console.incident.closedName', { name: chosen.name })));
    replace(this.select, options);
    this.select.value = this.selected;

    const rows = active.map((i) => {
      const f = this.figures.get(i.id);
      const open = f ? (f.by_status.open || 0) + (f.by_status.staffing || 0) + (f.by_status.pending_review || 0) : null;
      return h('li', { class: `incident-row${i.id === this.selected ? ' selected' : ''}`, dataset: { id: i.id } },
        h('button', { type: 'button', class: 'incident-pick', 'aria-pressed': i.id === this.selected ? 'true' : 'false', onclick: () => this.choose(i.id === this.selected ? '' : i.id) },
          h('span', { class: 'incident-name' }, i.name),
          ' ',
          h('span', { class: `pill kind kind-${i.kind}` }, kindName(i.kind)),
          i.exercise ? h('span', { class: 'pill exercise' }, t('incident.exercise')) : null),
        h('span', { class: 'incident-counts' }, f ? t('console.incident.counts', { needs: num(f.needs), open: num(open), staffed: num(f.staffed) }) : ''));
    });
    replace(this.listEl,
      h('h2', { id: 'incidents-heading' }, t('console.incident.heading'), ' ', h('small', {}, t('console.incident.activeCount', { count: num(active.length) }))),
      this.error ? h('p', { class: 'error', role: 'alert' }, t('console.incident.failed', { error: errorText(this.error) })) : null,
      active.length ? h('ul', { class: 'incident-list', 'aria-labelledby': 'incidents-heading' }, rows) : h('p', { class: 'empty' }, t('console.incident.none')),
      h('p', { class: 'muted small' }, t('console.incident.polling')));
    replace(this.figEl, this.shown ? this.figuresView(this.byID(this.shown)) : null);
  }

  // redraw says everything again (a new language).
  redraw() {
    this.render();
    this.renderForm();
  }

  // renderForm draws the create button or form; apart from render, so
  // that the 15-second read does not take the keyboard from the form.
  renderForm() {
    replace(this.formEl, this.canManage ? this.createView() : null);
  }

  title(i) {
    return i.exercise ? t('console.incident.exerciseName', { name: i.name, kind: kindName(i.kind) }) : t('console.incident.name', { name: i.name, kind: kindName(i.kind) });
  }

  figuresView(inc) {
    const f = inc && this.figures.get(inc.id);
    if (!inc) return null;
    const rows = (obj, say) => Object.entries(obj || {}).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1])
      .map(([k, v]) => h('li', {}, h('span', {}, say(k)), ' ', h('strong', {}, num(v))));
    const body = f ? [
      h('dl', { class: 'incident-figures' },
        h('dt', {}, t('console.incident.fig.needs')), h('dd', {}, num(f.needs)),
        h('dt', {}, t('console.incident.fig.people')), h('dd', {}, num(f.people)),
        h('dt', {}, t('console.incident.fig.median')), h('dd', {}, minutes(f.median_to_staffed_s)),
        h('dt', {}, t('console.incident.fig.p90')), h('dd', {}, minutes(f.p90_to_staffed_s))),
      h('h4', {}, t('console.incident.fig.byStatus')), h('ul', { class: 'incident-tally' }, rows(f.by_status, statusName)),
      h('h4', {}, t('console.incident.fig.byCategory')), h('ul', { class: 'incident-tally' }, rows(f.by_category, category)),
      h('p', { class: 'muted small' }, f.frozen ? t('console.incident.frozen', { time: when(f.at) }) : t('console.incident.live', { time: when(f.at) })),
    ] : [h('p', { class: 'muted' }, t('console.incident.loading'))];
    let close = null;
    if (this.canManage && inc.status === 'active') {
      close = this.confirming
        ? h('div', { class: 'confirm', role: 'group', 'aria-label': t('console.incident.closeAsk', { name: inc.name }) },
          h('p', {}, t('console.incident.closeAsk', { name: inc.name })),
          h('button', { type: 'button', class: 'danger primary', id: 'incident-close-yes', onclick: () => this.close(inc.id) }, t('console.incident.closeYes')), ' ',
          h('button', { type: 'button', onclick: () => { this.confirming = false; this.render(); } }, t('console.incident.closeNo')))
        : h('button', { type: 'button', id: 'incident-close', onclick: () => { this.confirming = true; this.render(); this.panel.querySelector('#incident-close-yes')?.focus(); } }, t('console.incident.close'));
    }
    return h('section', { class: 'incident-detail', 'aria-labelledby': 'incident-detail-title' },
      h('h3', { id: 'incident-detail-title' }, this.title(inc), inc.status === 'active' ? null : h('span', { class: 'pill closed' }, t('console.incident.closed'))), // i18n-ok
      inc.headline ? h('p', {}, inc.headline) : null,
      ...body, close);
  }

  async close(id) {
    try {
      const inc = await this.api.post(`${INCIDENTS_PATH}/${encodeURIComponent(id)}/close`, {});
      if (inc.figures) this.figures.set(id, inc.figures);
      this.confirming = false;
      this.say(t('console.incident.closedNow', { name: inc.name }));
      await this.refresh();
    } catch (err) {
      this.say(t('console.incident.closeFailed', { error: errorText(err) }));
    }
  }

  // createView is the form that opens an incident; its area is drawn on
  // the map (click the corners) or a loaded area.
  createView() {
    if (!this.form) {
      return h('button', { type: 'button', id: 'incident-new', class: 'primary', onclick: () => this.openForm() }, t('console.incident.new'));
    }
    const st = this.form;
    const form = h('form', { class: 'incident-form', onsubmit: (e) => { e.preventDefault(); this.create(form); } },
      h('h3', {}, t('console.incident.new')),
      h('label', {}, t('console.incident.form.name'), ' ', h('input', { name: 'name', required: true, maxlength: 200, value: st.name || '', oninput: (e) => { st.name = e.target.value; } })),
      h('label', {}, t('console.incident.form.kind'), ' ', h('select', { name: 'kind', onchange: (e) => { st.kind = e.target.value; } },
        KINDS.map((k) => h('option', { value: k, selected: k === st.kind }, kindName(k))))),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'exercise', checked: st.exercise, onchange: (e) => { st.exercise = e.target.checked; } }), ' ', t('console.incident.form.exercise')),
      h('fieldset', {}, h('legend', {}, t('console.incident.form.area')),
        h('label', { class: 'check' }, h('input', { type: 'radio', name: 'areaway', value: 'draw', checked: st.way === 'draw', onchange: () => this.way('draw') }), ' ', t('console.incident.form.draw')),
        h('label', { class: 'check' }, h('input', { type: 'radio', name: 'areaway', value: 'loaded', checked: st.way === 'loaded', onchange: () => this.way('loaded') }), ' ', t('console.incident.form.loaded')),
        st.way === 'draw' // i18n-ok
          ? h('p', { class: 'muted' }, t('console.incident.form.corners', { count: num(st.points.length) }), ' ',
            // Without a pointer: pan the map (arrow keys) and add its centre.
            h('button', { type: 'button', class: 'link', onclick: () => this.mapClick(this.map.getCenter()) }, t('console.incident.form.centre')), ' ',
            h('button', { type: 'button', class: 'link', onclick: () => { st.points = []; this.drawPoints(); this.renderForm(); } }, t('console.incident.form.redraw')))
          : h('label', {}, t('console.incident.form.pick'), ' ', h('select', { name: 'area_id', onchange: (e) => { st.areaID = e.target.value; } },
            h('option', { value: '' }, t('console.incident.form.choose')),
            (st.areas || []).map((a) => h('option', { value: a.id, selected: a.id === st.areaID }, a.name ? `${a.name} (${a.id})` : a.id))))),
      h('button', { type: 'submit', class: 'primary' }, t('console.incident.form.submit')), ' ',
      h('button', { type: 'button', onclick: () => this.closeForm() }, t('console.incident.form.cancel')));
    return form;
  }

  openForm() {
    this.form = { name: '', kind: 'typhoon', exercise: false, way: 'draw', points: [], areaID: '', areas: null };
    this.map.getContainer().classList.add('picking');
    this.renderForm();
    this.panel.querySelector('.incident-form input[name=name]')?.focus();
  }

  closeForm() {
    this.form = null;
    this.drawing.clearLayers();
    this.map.getContainer().classList.remove('picking');
    this.renderForm();
  }

  async way(w) {
    this.form.way = w;
    this.map.getContainer().classList.toggle('picking', w === 'draw');
    if (w === 'loaded' && !this.form.areas) {
      try {
        const fc = await this.api.get('/api/v1/areas');
        this.form.areas = (fc.features || []).map((f) => ({ id: String(f.properties.id || ''), name: String(f.properties.name || '') })).filter((a) => a.id);
      } catch (err) {
        this.say(t('console.incident.failed', { error: errorText(err) }));
      }
    }
    this.renderForm();
  }

  // mapClick adds a corner while the form draws an area.
  mapClick(latlng) {
    if (!this.form || this.form.way !== 'draw') return;
    this.form.points.push([Number(latlng.lat.toFixed(6)), Number(latlng.lng.toFixed(6))]);
    this.drawPoints();
    const p = this.panel.querySelector('.incident-form fieldset p');
    if (p && p.firstChild) p.firstChild.textContent = t('console.incident.form.corners', { count: num(this.form.points.length) });
  }

  drawPoints() {
    this.drawing.clearLayers();
    const pts = this.form ? this.form.points : [];
    if (pts.length >= 3) L.polygon(pts, { color: '#b35806', weight: 2, fillOpacity: 0.1, interactive: false }).addTo(this.drawing);
    else if (pts.length) L.polyline(pts, { color: '#b35806', weight: 2, interactive: false }).addTo(this.drawing);
  }

  async create(form) {
    const st = this.form;
    const body = { name: form.name.value.trim(), kind: form.kind.value, exercise: form.exercise.checked };
    if (st.way === 'draw') {
      if (st.points.length < 3) {
        this.say(t('console.incident.form.needCorners'));
        return;
      }
      const ring = st.points.map(([lat, lng]) => [lng, lat]);
      ring.push(ring[0]);
      body.area = { type: 'Polygon', coordinates: [ring] };
    } else {
      if (!st.areaID) {
        this.say(t('console.incident.form.needArea'));
        return;
      }
      body.area_id = st.areaID;
    }
    try {
      const inc = await this.api.post(INCIDENTS_PATH, body);
      this.closeForm();
      this.say(t('console.incident.created', { name: inc.name }));
      await this.refresh();
    } catch (err) {
      this.say(t('console.incident.createFailed', { error: errorText(err) }));
    }
  }
}
