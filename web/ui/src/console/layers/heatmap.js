// The supply and demand heatmap: per H3 cell, available responders
// (supply) against open places of active needs (demand). Red where people
// are short, green where there are enough, pale where there is only
// supply. Supply comes from the server's per-cell counts when it offers
// them, else from the responders the console knows.
import L from 'leaflet';
import { latLngToCell, cellToBoundary } from 'h3-js';
import { text } from '../../lib/dom.js';
import { t } from '../../lib/i18n.js';
import { openSlots } from '../store.js';

// heatRes is the cell size of the heatmap: coarser than the grid.
export function heatRes(zoom) {
  return Math.max(3, Math.min(9, Math.round(zoom * 0.72 - 2.6)));
}

// balance tallies supply and demand per cell.
export function balance(needs, responders, res, serverSupply) {
  const cells = new Map();
  const at = (c) => {
    let v = cells.get(c);
    if (!v) cells.set(c, (v = { supply: 0, demand: 0 }));
    return v;
  };
  if (serverSupply) {
    for (const [c, n] of serverSupply) at(c).supply += n;
  } else {
    for (const r of responders) {
      if (r.state === 'available' && Number.isFinite(r.lat)) at(latLngToCell(r.lat, r.lng, res)).supply++;
    }
  }
  for (const n of needs) {
    const open = openSlots(n);
    if (open > 0 && Number.isFinite(n.lat)) at(latLngToCell(n.lat, n.lng, res)).demand += open;
  }
  return cells;
}

export function cellStyle({ supply, demand }) {
  if (demand > supply) {
    const short = Math.min(1, (demand - supply) / Math.max(demand, 1));
    return { fillColor: '#d7301f', fillOpacity: 0.25 + 0.4 * short, className: 'heat-cell heat-short' };
  }
  if (demand > 0) return { fillColor: '#1a9850', fillOpacity: 0.35, className: 'heat-cell heat-covered' };
  return { fillColor: '#66bd63', fillOpacity: Math.min(0.3, 0.08 + supply * 0.02), className: 'heat-cell heat-supply' };
}

// SURGE_PATH lists the cells in surge (surge nudges); SURGE_EVERY_MS is
// how often the heatmap re-reads it while shown.
const SURGE_PATH = '/api/v1/surge';
const SURGE_EVERY_MS = 15000;

// surgeFetcher reads the cells in surge, when the server offers them.
export function surgeFetcher(api, features) {
  if (!features.has('get', SURGE_PATH)) return null;
  return async () => (await api.get(SURGE_PATH)).cells || [];
}

// surgeStyle outlines a cell in surge: places short for want of people,
// off-duty people near asked to go on duty.
export const surgeStyle = { color: '#7a0177', weight: 3, dashArray: '6 4', fill: false, className: 'heat-surge' };

export class HeatmapLayer {
  constructor(map, store, fetchSupply, fetchSurge = null) {
    this.map = map;
    this.store = store;
    this.fetchSupply = fetchSupply; // (bbox, res) -> Promise<Map<cell, n>> | null
    this.fetchSurge = fetchSurge; // () -> Promise<[{cell, places_short, nudges_sent}]> | null
    this.serverSupply = null;
    this.surge = [];
    map.createPane('heat').style.zIndex = 350;
    this.group = L.layerGroup();
    this.group.on('add', () => this.refresh());
    map.on('moveend', () => this.refresh());
    if (fetchSurge) setInterval(() => this.refreshSurge(), SURGE_EVERY_MS);
  }

  // refreshSurge re-reads the cells in surge while the layer is shown.
  async refreshSurge() {
    if (!this.fetchSurge || !this.map.hasLayer(this.group)) return;
    try {
      this.surge = await this.fetchSurge();
    } catch (err) {
      this.surge = [];
      if (err && err.status === 403) this.fetchSurge = null; // not for this role: stop asking
    }
    this.render();
  }

  // refresh re-reads the server's supply counts for the view, if it has
  // them, then redraws.
  async refresh() {
    if (!this.map.hasLayer(this.group)) return;
    const res = heatRes(this.map.getZoom());
    if (this.fetchSupply) {
      const b = this.map.getBounds();
      try {
        this.serverSupply = await this.fetchSupply([b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], res);
        this.supplyRes = res;
      } catch {
        this.serverSupply = null;
      }
    }
    if (this.fetchSurge) await this.refreshSurge();
    else this.render();
  }

  render() {
    if (!this.map.hasLayer(this.group)) return;
    this.group.clearLayers();
    const res = heatRes(this.map.getZoom());
    const supply = this.supplyRes === res ? this.serverSupply : null;
    const cells = balance([...this.store.needs.values()].filter((n) => this.store.shows(n)), this.store.responders.values(), res, supply);
    for (const [c, v] of cells) {
      const style = cellStyle(v);
      L.polygon(cellToBoundary(c), { pane: 'heat', stroke: false, ...style })
        .bindTooltip(text(t('console.marker.heat', { supply: v.supply, demand: v.demand })), { sticky: true })
        .addTo(this.group);
    }
    for (const c of this.surge) {
      L.polygon(cellToBoundary(c.cell), { pane: 'heat', ...surgeStyle })
        .bindTooltip(text(t('console.marker.surge', { short: c.places_short, sent: c.nudges_sent })), { sticky: true })
        .addTo(this.group);
    }
  }
}
