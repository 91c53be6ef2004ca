// The map both pages share: the offline basemap (the sea and the land of
// the Yantai region from OpenStreetMap, committed as
// /static/basemap.geojson; grey beyond it)
// or, when the server is configured with one, a tile URL.
import L from 'leaflet';

export const OSM_CREDIT = '© OpenStreetMap contributors';

// REGION is the box the offline basemap covers.
export const REGION = L.latLngBounds([36.8, 120.6], [38.0, 122.2]);

// pageConfig reads what the server put on <body>: data-tile-template (a tile URL) and
// data-tile-attribution.
export function pageConfig() {
  const d = document.body.dataset;
  return { tileURL: d.tileTemplate || '', tileAttribution: d.tileAttribution || '' };
}

// createMap builds a Leaflet map in el with the basemap below everything.
export function createMap(el, cfg, options = {}) {
  const map = L.map(el, { zoomSnap: 0.5, worldCopyJump: false, ...options });
  map.attributionControl.setPrefix('Leaflet');
  map.createPane('basemap').style.zIndex = 150;
  if (cfg.tileURL) {
    L.tileLayer(cfg.tileURL, { attribution: cfg.tileAttribution || '', maxZoom: 19 }).addTo(map);
  } else {
    el.classList.add('offline-basemap');
    map.attributionControl.addAttribution(OSM_CREDIT);
    loadLand(map);
  }
  map.fitBounds(REGION);
  return map;
}

async function loadLand(map) {
  try {
    const res = await fetch('/static/basemap.geojson');
    if (!res.ok) return;
    const land = await res.json();
    // Sea inside the region; outside it the map has no data and stays grey.
    L.rectangle(REGION, { pane: 'basemap', interactive: false, stroke: false, fillColor: '#b7d3e6', fillOpacity: 1 }).addTo(map);
    L.geoJSON(land, {
      pane: 'basemap',
      interactive: false,
      style: { stroke: false, fillColor: '#f2efe6', fillOpacity: 1 },
    }).addTo(map);
  } catch {
    // Without the land the markers still stand on a plain background.
  }
}
