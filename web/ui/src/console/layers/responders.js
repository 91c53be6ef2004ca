// Responders on the map, coloured by state (available, offered, assigned,
// off duty) and lettered by role. Zoomed out, or when too many are in
// view, they are thinned into H3 cells that show a count per state.
import L from 'leaflet';
import { latLngToCell, cellToLatLng } from 'h3-js';
import { h, text } from '../../lib/dom.js';
import { roleLetter, roleName } from '../../lib/format.js';
import { lang, t } from '../../lib/i18n.js';
import { responderState } from '../say.js';
import { nameMarker } from './name.js';

const MAX_MARKERS = 400;
const MIN_ZOOM_FOR_MARKERS = 12;
const STATES = ['available', 'offered', 'assigned', 'off_duty'];

// clusterRes is the H3 resolution of the thinned view at a zoom level.
export function clusterRes(zoom) {
  return Math.max(3, Math.min(9, Math.round(zoom * 0.75 - 2)));
}

export class RespondersLayer {
  constructor(map, store, onPick) {
    this.map = map;
    this.store = store;
    this.onPick = onPick;
    this.group = L.layerGroup().addTo(map);
    this.markers = new Map();
    this.clusters = L.layerGroup().addTo(map);
    map.on('moveend', () => this.render());
  }

  render() {
    const bounds = this.map.getBounds().pad(0.1);
    const inView = [];
    for (const r of this.store.responders.values()) {
      if (Number.isFinite(r.lat) && bounds.contains([r.lat, r.lng])) inView.push(r);
    }
    const thin = this.map.getZoom() < MIN_ZOOM_FOR_MARKERS || inView.length > MAX_MARKERS;
    document.body.dataset.respondersView = thin ? 'cells' : 'markers';
    if (thin) {
      this.clearMarkers();
      this.renderCells(inView);
    } else {
      this.clusters.clearLayers();
      this.renderMarkers(inView);
    }
  }

  clearMarkers() {
    this.group.clearLayers();
    this.markers.clear();
  }

  renderMarkers(list) {
    const seen = new Set();
    for (const r of list) {
      seen.add(r.id);
      const key = `${r.state}|${r.role}|${r.onScene ? 'scene' : ''}|${lang()}`;
      let m = this.markers.get(r.id);
      if (!m) {
        const marker = L.marker([r.lat, r.lng], { icon: this.icon(r), zIndexOffset: -500 });
        const id = r.id;
        marker.bindTooltip(() => {
          const cur = this.store.responders.get(id) || r;
          return text(this.label(cur));
        }, { direction: 'top' });
        marker.on('click', () => this.onPick(r.id));
        m = { marker, key };
        this.markers.set(r.id, m);
        marker.addTo(this.group);
        nameMarker(marker, this.label(r));
      } else if (m.key !== key) {
        m.marker.setIcon(this.icon(r));
        nameMarker(m.marker, this.label(r));
        m.key = key;
      }
      const at = m.marker.getLatLng();
      if (at.lat !== r.lat || at.lng !== r.lng) m.marker.setLatLng([r.lat, r.lng]);
    }
    for (const [id, m] of this.markers) {
      if (!seen.has(id)) {
        this.group.removeLayer(m.marker);
        this.markers.delete(id);
      }
    }
  }

  label(r) {
    const label = t('console.marker.responder', { role: roleName(r.role), id: r.id, state: responderState(r.state) });
    return r.onScene ? `${label} · ${t('console.field.on_scene')}` : label;
  }

  icon(r) {
    const el = h('div', { class: `responder-marker state-${r.state} role-${r.role || 'unknown'}${r.onScene ? ' on-scene' : ''}`, dataset: { id: r.id, state: r.state, onScene: r.onScene ? '1' : '' } }, roleLetter(r.role));
    return L.divIcon({ className: 'responder-icon', html: el, iconSize: [18, 18], iconAnchor: [9, 9] });
  }

  renderCells(list) {
    this.clusters.clearLayers();
    const res = clusterRes(this.map.getZoom());
    const cells = new Map();
    for (const r of list) {
      const c = latLngToCell(r.lat, r.lng, res);
      let agg = cells.get(c);
      if (!agg) cells.set(c, (agg = { total: 0, available: 0, offered: 0, assigned: 0, off_duty: 0 }));
      agg.total++;
      agg[r.state] = (agg[r.state] || 0) + 1;
    }
    for (const [c, agg] of cells) {
      const bar = h('span', { class: 'bar' }, STATES.filter((s) => agg[s]).map((s) =>
        h('i', { class: `state-${s}`, style: `flex: ${agg[s]}` })));
      const el = h('div', { class: 'responder-cell' }, h('b', {}, String(agg.total)), bar);
      const [lat, lng] = cellToLatLng(c);
      const marker = L.marker([lat, lng], {
        icon: L.divIcon({ className: 'responder-cell-icon', html: el, iconSize: [34, 22], iconAnchor: [17, 11] }),
        interactive: true,
      });
      const label = STATES.filter((s) => agg[s]).map((s) => t('console.marker.cell', { count: agg[s], state: responderState(s) })).join(t('console.marker.cellJoin'));
      marker.bindTooltip(text(label));
      marker.on('click', () => this.map.setView([lat, lng], Math.max(this.map.getZoom() + 2, MIN_ZOOM_FOR_MARKERS)));
      marker.addTo(this.clusters);
      nameMarker(marker, label);
    }
  }
}
