// Drawing an area and mobilising everyone available inside it: click to
// add corners, click the first corner (or Finish) to close, then send.
import L from 'leaflet';
import { h, randomID, replace } from '../lib/dom.js';
import { ROLES, roleName } from '../lib/format.js';

export const ALERTS_PATH = '/api/v1/alerts';

// inside reports whether [lat, lng] lies in the ring of [lat, lng] (ray
// casting; fine at city scale).
export function inside([y, x], ring) {
  let hit = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [yi, xi] = ring[i];
    const [yj, xj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}

export class AreaMobiliser {
  constructor(map, { api, store, features, toast, button, panel }) {
    Object.assign(this, { map, api, store, features, toast, button, panel });
    this.points = [];
    this.drawing = false;
    this.layer = L.layerGroup().addTo(map);
    button.addEventListener('click', () => (this.drawing ? this.stop() : this.start()));
    map.on('click', (e) => { if (this.drawing) this.add(e.latlng); });
  }

  start() {
    this.stop();
    this.drawing = true;
    this.button.classList.add('on');
    this.map.getContainer().classList.add('picking');
    this.map.doubleClickZoom.disable();
    this.panel.hidden = false;
    replace(this.panel, h('p', {}, 'Click the map to draw the area; click the first corner to close it.'),
      h('button', { onclick: () => this.finish() }, 'Finish'), ' ', h('button', { onclick: () => this.stop() }, 'Cancel'));
  }

  stop() {
    this.drawing = false;
    this.points = [];
    this.layer.clearLayers();
    this.button.classList.remove('on');
    this.map.getContainer().classList.remove('picking');
    this.map.doubleClickZoom.enable();
    this.panel.hidden = true;
    replace(this.panel);
  }

  add(latlng) {
    if (this.points.length >= 3 && this.map.latLngToContainerPoint(this.points[0]).distanceTo(this.map.latLngToContainerPoint(latlng)) < 12) {
      this.finish();
      return;
    }
    this.points.push(latlng);
    this.layer.clearLayers();
    L.polyline(this.points, { color: '#b2182b', weight: 2, dashArray: '4 4', interactive: false }).addTo(this.layer);
    for (const p of this.points) L.circleMarker(p, { radius: 4, color: '#b2182b', interactive: false }).addTo(this.layer);
  }

  finish() {
    if (this.points.length < 3) {
      this.toast('An area needs at least three corners.', true);
      return;
    }
    this.drawing = false;
    this.map.getContainer().classList.remove('picking');
    this.map.doubleClickZoom.enable();
    this.layer.clearLayers();
    L.polygon(this.points, { color: '#b2182b', weight: 2, fillOpacity: 0.12, className: 'mobilise-area' }).addTo(this.layer);
    this.showForm();
  }

  showForm() {
    const ring = this.points.map((p) => [p.lat, p.lng]);
    const known = [...this.store.responders.values()].filter((r) => r.state === 'available' && Number.isFinite(r.lat) && inside([r.lat, r.lng], ring));
    const can = this.features.has('post', ALERTS_PATH);
    const form = h('form', { class: 'mobilise', onsubmit: (e) => { e.preventDefault(); this.send(form, ring); } },
      h('h3', {}, 'Mobilise this area'),
      h('p', { class: 'muted' }, `${known.length} available responder${known.length === 1 ? '' : 's'} inside that this console knows of.`),
      h('label', {}, 'Message ', h('textarea', { name: 'message', rows: 2, required: true, maxlength: 500, placeholder: 'what is happening, where to report' })),
      h('fieldset', {}, h('legend', {}, 'Who'), ROLES.map((r) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'roles', value: r, checked: true }), ` ${roleName(r)}`))),
      h('button', { type: 'submit', class: 'primary danger', disabled: !can, title: can ? '' : 'The server does not offer area alerts yet' }, 'Send alert'), ' ',
      h('button', { type: 'button', onclick: () => this.stop() }, 'Discard'));
    form.dataset.key = randomID();
    replace(this.panel, form);
  }

  async send(form, ring) {
    const polygon = ring.map(([lat, lng]) => [Number(lng.toFixed(6)), Number(lat.toFixed(6))]);
    polygon.push(polygon[0]);
    const roles = [...form.querySelectorAll('input[name=roles]:checked')].map((i) => i.value);
    try {
      const res = await this.api.post(ALERTS_PATH, { polygon, message: form.message.value.trim(), roles }, { 'Idempotency-Key': form.dataset.key });
      this.toast(`Alert sent to ${res && res.recipients !== undefined ? res.recipients : 'the'} responders in the area.`);
      this.stop();
    } catch (err) {
      this.toast(`Alert not sent: ${err.message}`, true);
    }
  }
}
