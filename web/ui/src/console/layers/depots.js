// Depots of charity resources on the map: a square marker per depot, its
// stock (free / reserved) in the tooltip. Read from GET /api/v1/depots
// every 30 s and whenever a need reserves items (need.supplied), when the
// server offers the endpoint and the caller may read it.
import L from 'leaflet';
import { h, text } from '../../lib/dom.js';
import { t } from '../../lib/i18n.js';
import { itemName, num } from '../say.js';
import { nameMarker } from './name.js';

export const DEPOTS_PATH = '/api/v1/depots';
const REFRESH_MS = 30_000;

export class DepotsLayer {
  constructor(map, api, features) {
    this.api = api;
    this.enabled = features.has('get', DEPOTS_PATH);
    this.group = L.layerGroup().addTo(map);
    this.markers = new Map(); // id -> marker
    this.timer = null;
    this.pending = null;
    this.last = [];
  }

  // redraw says the last depots again (a new language).
  redraw() {
    for (const m of this.markers.values()) this.group.removeLayer(m);
    this.markers.clear();
    this.render(this.last);
  }

  start() {
    if (!this.enabled) return;
    this.refresh();
    this.timer = setInterval(() => this.refresh(), REFRESH_MS);
  }

  // soon refreshes after a short pause, so that a burst of reservations
  // costs one read.
  soon() {
    if (!this.enabled || this.pending) return;
    this.pending = setTimeout(() => { this.pending = null; this.refresh(); }, 1000);
  }

  async refresh() {
    let body;
    try {
      body = await this.api.get(DEPOTS_PATH);
    } catch (err) {
      if (err.status === 403) { // this role does not manage resources
        this.enabled = false;
        clearInterval(this.timer);
      }
      return;
    }
    this.render(body.depots || []);
  }

  render(depots) {
    this.last = depots;
    const seen = new Set();
    for (const d of depots) {
      if (!Number.isFinite(d.lat) || !Number.isFinite(d.lng)) continue;
      seen.add(d.id);
      let m = this.markers.get(d.id);
      if (!m) {
        const html = h('div', { class: 'depot-marker', dataset: { id: d.id } }, h('span', { class: 'shape', 'aria-hidden': 'true' }, t('console.depot.letter')));
        m = L.marker([d.lat, d.lng], { icon: L.divIcon({ className: 'depot-icon', html, iconSize: [20, 20], iconAnchor: [10, 10] }) });
        m.bindTooltip(text(''), { direction: 'top', offset: [0, -10] });
        m.addTo(this.group);
        this.markers.set(d.id, m);
      }
      m.setLatLng([d.lat, d.lng]);
      const reserved = d.reserved || {};
      const lines = Object.keys(d.stock || {})
        .filter((k) => d.stock[k] || reserved[k])
        .map((k) => (reserved[k]
          ? t('console.depot.reserved', { item: itemName(k), count: num(d.stock[k] || 0), reserved: num(reserved[k]) })
          : t('console.depot.stock', { item: itemName(k), count: num(d.stock[k]) })));
      const label = t('console.depot.tooltip', { name: d.name, org: d.org_id, stock: lines.length ? lines.join(t('console.marker.cellJoin')) : t('console.depot.empty') });
      m.setTooltipContent(text(label));
      nameMarker(m, label);
    }
    for (const [id, m] of this.markers) {
      if (!seen.has(id)) {
        this.group.removeLayer(m);
        this.markers.delete(id);
      }
    }
  }
}
