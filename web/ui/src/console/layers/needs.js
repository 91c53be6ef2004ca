// Needs on the map: the colour says the urgency, the shape the status
// (open: circle, staffing: diamond, staffed: square, completed: hollow
// circle, cancelled or unstaffed: cross), the number the urgency again,
// and the tooltip and accessible name say all of it in words.
//
// Needs close together are drawn as one cluster (leaflet.markercluster):
// hundreds in one district stay readable. A cluster shows how many needs
// it holds and the most urgent one's level as a number and a word, and
// opens on click (zooms to its needs, or spreads them out at the last
// zoom).
import L from 'leaflet';
import 'leaflet.markercluster';
import { h, text } from '../../lib/dom.js';
import { category, urgencyName } from '../../lib/format.js';
import { lang, t } from '../../lib/i18n.js';
import { needName, statusName } from '../say.js';
import { nameMarker } from './name.js';
import { isActive, openSlots, totalSlots } from '../store.js';

// NamedDivIcon is a div icon with an accessible name: Leaflet makes a
// marker's icon a focusable button, and a button needs a name.
const NamedDivIcon = L.DivIcon.extend({
  createIcon(old) {
    const el = L.DivIcon.prototype.createIcon.call(this, old);
    el.setAttribute('aria-label', this.options.label);
    return el;
  },
});

// FIT_MAX_ZOOM is the closest the map fits to needs: street level.
const FIT_MAX_ZOOM = 16;

export class NeedsLayer {
  constructor(map, store, onSelect) {
    this.store = store;
    this.onSelect = onSelect;
    this.map = map;
    // The clusterer needs a last zoom; the offline basemap sets none.
    if (!Number.isFinite(map.getMaxZoom())) map.setMaxZoom(19);
    this.group = L.markerClusterGroup({
      // Street level and closer shows every need alone (the fit stops
      // there too): a handful of needs fitted at login stay single markers;
      // a district's hundreds merge at the zoom that holds them all.
      disableClusteringAtZoom: FIT_MAX_ZOOM,
      showCoverageOnHover: false,
      spiderfyOnMaxZoom: true,
      zoomToBoundsOnClick: true,
      iconCreateFunction: (cluster) => this.clusterIcon(cluster),
    }).addTo(map);
    // The selected need is never hidden in a cluster: its marker stands
    // apart, shown and hidden with the layer.
    this.pinned = L.layerGroup().addTo(map);
    this.group.on('add', () => this.pinned.addTo(map));
    this.group.on('remove', () => this.pinned.remove());
    this.markers = new Map(); // id -> {marker, key}
    this.selected = null;
  }

  select(id) {
    this.place(this.selected, false);
    this.selected = id;
    this.place(id, true);
    this.render();
  }

  // place moves a need's marker out of the clusters (pinned) or back.
  place(id, pinned) {
    const m = id && this.markers.get(id);
    if (!m) return;
    const [from, to] = pinned ? [this.group, this.pinned] : [this.pinned, this.group];
    from.removeLayer(m.marker);
    to.addLayer(m.marker);
  }

  render() {
    const seen = new Set();
    let changed = false;
    for (const n of this.store.needs.values()) {
      if (!Number.isFinite(n.lat) || !Number.isFinite(n.lng) || !this.store.shows(n)) continue;
      seen.add(n.id);
      const key = `${n.status}|${n.urgency}|${openSlots(n)}|${n.category}|${n.number}|${n.community}|${this.selected === n.id}|${lang()}`;
      let m = this.markers.get(n.id);
      if (!m) {
        const marker = L.marker([n.lat, n.lng], { icon: this.icon(n, ''), zIndexOffset: 1000 - (n.urgency || 4) * 100, urgency: n.urgency });
        marker.on('click', () => this.onSelect(n.id));
        marker.bindTooltip(text(''), { direction: 'top', offset: [0, -10] });
        m = { marker, key: '' };
        this.markers.set(n.id, m);
        (this.selected === n.id ? this.pinned : this.group).addLayer(marker);
      }
      if (m.key !== key) {
        const label = t('console.marker.need', {
          level: n.urgency || '', what: n.number || n.community ? needName(n) : category(n.category), urgency: urgencyName(n.urgency), status: statusName(n.status), filled: totalSlots(n) - openSlots(n), total: totalSlots(n),
        });
        m.marker.options.urgency = n.urgency;
        m.marker.setIcon(this.icon(n, label));
        m.marker.setTooltipContent(text(label));
        nameMarker(m.marker, label);
        m.key = key;
        changed = true;
      }
      const at = m.marker.getLatLng();
      if (at.lat !== n.lat || at.lng !== n.lng) m.marker.setLatLng([n.lat, n.lng]);
    }
    for (const [id, m] of this.markers) {
      if (!seen.has(id)) {
        this.group.removeLayer(m.marker);
        this.pinned.removeLayer(m.marker);
        this.markers.delete(id);
      }
    }
    if (changed) {
      // A need's urgency or the language changed: clusters say it again.
      this.group.refreshClusters();
    }
  }

  // reveal opens the clusters over a need so that its marker shows.
  reveal(id) {
    const m = this.markers.get(id);
    if (m && this.group.hasLayer(m.marker) && this.group.getVisibleParent(m.marker) !== m.marker) this.group.zoomToShowLayer(m.marker);
  }

  // bounds is the box holding every active need on the map, or null.
  bounds() {
    const pts = [];
    for (const n of this.store.needs.values()) {
      if (isActive(n) && this.store.shows(n) && Number.isFinite(n.lat) && Number.isFinite(n.lng)) pts.push([n.lat, n.lng]);
    }
    return pts.length ? L.latLngBounds(pts) : null;
  }

  // fit brings every active need into view; it reports whether there
  // were any (with none the view stays where it is).
  fit() {
    const b = this.bounds();
    if (!b) return false;
    // A whole zoom, rounded down: the clusterer groups at whole zooms.
    const z = Math.min(Math.floor(this.map.getBoundsZoom(b, false, L.point(80, 80))), FIT_MAX_ZOOM);
    this.map.setView(b.getCenter(), z, { animate: false });
    return true;
  }

  // clusterIcon shows a cluster's count and its most urgent level as a
  // number and a word; its name (the text, with words for the eyes'
  // shorthand hidden between) says the same.
  clusterIcon(cluster) {
    let top = 4;
    for (const m of cluster.getAllChildMarkers()) top = Math.min(top, m.options.urgency || 4);
    const count = cluster.getChildCount();
    const wrap = h('div', { class: `need-cluster urgency-${top}`, dataset: { count: String(count), urgency: String(top) } },
      h('span', { class: 'count' }, String(count)),
      h('span', { class: 'visually-hidden' }, t('console.cluster.needs')),
      h('span', { class: 'level' }, `${top} ${urgencyName(top)}`));
    return L.divIcon({ className: 'need-cluster-icon', html: wrap, iconSize: [96, 40], iconAnchor: [48, 20] });
  }

  icon(n, label) {
    const el = h('span', { class: 'shape', 'aria-hidden': 'true' }, String(n.urgency || ''));
    const cls = ['need-marker', `status-${n.status}`, `urgency-${n.urgency || 4}`];
    if (this.selected === n.id) cls.push('selected');
    const wrap = h('div', { dataset: { id: n.id, status: n.status }, class: cls.join(' ') }, el);
    // Named in the icon: the clusterer draws a marker long after it was
    // made, and a button needs its name whenever it is drawn.
    return new NamedDivIcon({ className: 'need-icon', html: wrap, iconSize: [22, 22], iconAnchor: [11, 11], label });
  }
}
