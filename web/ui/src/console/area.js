// Drawing an area and mobilising everyone available inside it: click to
// add corners, click the first corner (or Finish) to close, then send.
import L from 'leaflet';
import { h, randomID, replace } from '../lib/dom.js';
import { ROLES, roleName } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { errorText, num } from './say.js';

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
  constructor(map, { api, store, features, toast, button, panel, broadcast }) {
    Object.assign(this, { map, api, store, features, toast, button, panel, broadcast });
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
    replace(this.panel, h('p', {}, t('console.area.start')),
      h('button', { type: 'button', onclick: () => this.finish() }, t('console.area.finish')), ' ', h('button', { type: 'button', onclick: () => this.stop() }, t('console.area.cancel')));
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
      this.toast(() => t('console.area.corners'), true);
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
      h('h3', {}, t('console.area.title')),
      h('p', { class: 'muted' }, t('console.area.known', { count: num(known.length) })),
      h('label', {}, t('console.area.message'), ' ', h('textarea', { name: 'message', rows: 2, required: true, maxlength: 500, placeholder: t('console.area.messageHint') })),
      h('fieldset', {}, h('legend', {}, t('console.area.who')), ROLES.map((r) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'roles', value: r, checked: true }), ` ${roleName(r)}`))),
      h('button', { type: 'submit', class: 'primary danger', disabled: !can, title: can ? '' : t('console.area.missing') }, t('console.area.send')), ' ',
      h('button', { type: 'button', onclick: () => this.stop() }, t('console.area.discard')),
      // Messages (chat.js): a message to everyone in the area instead.
      this.broadcast ? h('p', {}, h('button', { type: 'button', id: 'area-message', onclick: () => replace(this.panel, this.broadcast(ring, { api: this.api, features: this.features, toast: this.toast, onDone: () => this.stop() })) }, t('console.chat.broadcastOpen'))) : null);
    form.dataset.key = randomID();
    replace(this.panel, form);
  }

  async send(form, ring) {
    const polygon = ring.map(([lat, lng]) => [Number(lng.toFixed(6)), Number(lat.toFixed(6))]);
    polygon.push(polygon[0]);
    const roles = [...form.querySelectorAll('input[name=roles]:checked')].map((i) => i.value);
    try {
      const res = await this.api.post(ALERTS_PATH, { polygon, message: form.message.value.trim(), roles }, { 'Idempotency-Key': form.dataset.key });
      this.toast(() => (res && res.recipients !== undefined ? t('console.area.sent', { count: num(res.recipients) }) : t('console.area.sentUnknown')));
      this.stop();
    } catch (err) {
      this.toast(() => t('console.area.failed', { error: errorText(err) }), true);
    }
  }
}
