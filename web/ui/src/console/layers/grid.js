// The H3 grid drawn over the map, at a resolution that suits the zoom, so
// that operators see the cells the heatmap and the matcher think in.
import L from 'leaflet';
import { polygonToCells, cellToBoundary } from 'h3-js';

const MAX_CELLS = 1500;

// gridRes picks the finest resolution whose cells are still a few dozen
// pixels wide at this zoom.
export function gridRes(zoom) {
  return Math.max(2, Math.min(10, Math.round(zoom * 0.72 - 1.6)));
}

// cellsInView lists the cells covering the map's view at res, or null when
// there would be too many to draw.
export function cellsInView(map, res) {
  const b = map.getBounds();
  const ring = [
    [b.getSouth(), b.getWest()], [b.getNorth(), b.getWest()],
    [b.getNorth(), b.getEast()], [b.getSouth(), b.getEast()],
  ];
  const cells = polygonToCells(ring, res);
  return cells.length > MAX_CELLS ? null : cells;
}

export class GridLayer {
  constructor(map) {
    this.map = map;
    map.createPane('grid').style.zIndex = 300;
    this.group = L.layerGroup();
    map.on('moveend', () => this.render());
    this.group.on('add', () => this.render());
  }

  render() {
    if (!this.map.hasLayer(this.group)) return;
    this.group.clearLayers();
    let res = gridRes(this.map.getZoom());
    let cells = cellsInView(this.map, res);
    while (!cells && res > 0) cells = cellsInView(this.map, --res);
    if (!cells || !cells.length) return;
    const rings = cells.map((c) => cellToBoundary(c));
    L.polygon(rings, {
      pane: 'grid', interactive: false, fill: false, color: '#5b6b7a', weight: 0.6, opacity: 0.45,
    }).addTo(this.group);
    this.res = res;
  }
}
