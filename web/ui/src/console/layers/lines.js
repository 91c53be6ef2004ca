// Lines from each offered (dashed) or assigned (solid) responder to their
// need.
import L from 'leaflet';

export class LinesLayer {
  constructor(map, store) {
    this.store = store;
    this.group = L.layerGroup().addTo(map);
    this.lines = new Map();
  }

  render() {
    const seen = new Set();
    for (const o of this.store.offers.values()) {
      if (o.state !== 'offered' && o.state !== 'accepted') continue;
      const n = this.store.needs.get(o.needID);
      const r = this.store.responders.get(o.responderID);
      if (!n || !r || !this.store.shows(n) || !Number.isFinite(r.lat) || !Number.isFinite(n.lat)) continue;
      seen.add(o.id);
      const pts = [[r.lat, r.lng], [n.lat, n.lng]];
      const cls = `offer-line state-${o.state}`;
      let line = this.lines.get(o.id);
      if (!line || line.options.className !== cls) {
        if (line) this.group.removeLayer(line);
        line = L.polyline(pts, {
          className: cls,
          color: o.state === 'accepted' ? '#6a3d9a' : '#e08a00',
          weight: o.state === 'accepted' ? 3 : 2,
          dashArray: o.state === 'accepted' ? null : '6 5',
          interactive: false,
        }).addTo(this.group);
        this.lines.set(o.id, line);
      } else {
        line.setLatLngs(pts);
      }
    }
    for (const [id, line] of this.lines) {
      if (!seen.has(id)) {
        this.group.removeLayer(line);
        this.lines.delete(id);
      }
    }
  }
}
