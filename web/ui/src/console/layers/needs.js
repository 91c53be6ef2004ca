// Needs on the map: the colour says the urgency, the shape the status
// (open: circle, staffing: diamond, staffed: square, completed: hollow
// circle, cancelled or unstaffed: cross), the number the urgency again,
// and the tooltip and accessible name say all of it in words.
import L from 'leaflet';
import { h, text } from '../../lib/dom.js';
import { category, urgencyName } from '../../lib/format.js';
import { lang, t } from '../../lib/i18n.js';
import { statusName } from '../say.js';
import { nameMarker } from './name.js';
import { openSlots, totalSlots } from '../store.js';

export class NeedsLayer {
  constructor(map, store, onSelect) {
    this.store = store;
    this.onSelect = onSelect;
    this.group = L.layerGroup().addTo(map);
    this.markers = new Map(); // id -> {marker, key}
    this.selected = null;
  }

  select(id) {
    this.selected = id;
    this.render();
  }

  render() {
    const seen = new Set();
    for (const n of this.store.needs.values()) {
      if (!Number.isFinite(n.lat) || !Number.isFinite(n.lng)) continue;
      seen.add(n.id);
      const key = `${n.status}|${n.urgency}|${openSlots(n)}|${n.category}|${this.selected === n.id}|${lang()}`;
      let m = this.markers.get(n.id);
      if (!m) {
        const marker = L.marker([n.lat, n.lng], { icon: this.icon(n), zIndexOffset: 1000 - (n.urgency || 4) * 100 });
        marker.on('click', () => this.onSelect(n.id));
        marker.bindTooltip(text(''), { direction: 'top', offset: [0, -10] });
        m = { marker, key: '' };
        this.markers.set(n.id, m);
        marker.addTo(this.group);
      }
      if (m.key !== key) {
        if (m.key) m.marker.setIcon(this.icon(n));
        const label = t('console.marker.need', {
          level: n.urgency || '', what: category(n.category), urgency: urgencyName(n.urgency), status: statusName(n.status), filled: totalSlots(n) - openSlots(n), total: totalSlots(n),
        });
        m.marker.setTooltipContent(text(label));
        nameMarker(m.marker, label);
        m.key = key;
      }
      const at = m.marker.getLatLng();
      if (at.lat !== n.lat || at.lng !== n.lng) m.marker.setLatLng([n.lat, n.lng]);
    }
    for (const [id, m] of this.markers) {
      if (!seen.has(id)) {
        this.group.removeLayer(m.marker);
        this.markers.delete(id);
      }
    }
  }

  icon(n) {
    const el = h('span', { class: 'shape', 'aria-hidden': 'true' }, String(n.urgency || ''));
    const cls = ['need-marker', `status-${n.status}`, `urgency-${n.urgency || 4}`];
    if (this.selected === n.id) cls.push('selected');
    const wrap = h('div', { dataset: { id: n.id, status: n.status }, class: cls.join(' ') }, el);
    return L.divIcon({ className: 'need-icon', html: wrap, iconSize: [22, 22], iconAnchor: [11, 11] });
  }
}
