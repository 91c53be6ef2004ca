// The command centre console (/console): login, then the live map, the
// need list and detail, counters, filing needs and mobilising areas.
import 'leaflet/dist/leaflet.css';
import './console.css';
import L from 'leaflet';
import { $, h } from '../lib/dom.js';
import { createAPI, Features } from '../lib/api.js';
import { createMap, pageConfig } from '../lib/basemap.js';
import { Store } from './store.js';
import { clearSession, loadSession, showLogin } from './login.js';
import { NeedsLayer } from './layers/needs.js';
import { RespondersLayer } from './layers/responders.js';
import { LinesLayer } from './layers/lines.js';
import { HeatmapLayer } from './layers/heatmap.js';
import { GridLayer } from './layers/grid.js';
import { DepotsLayer } from './layers/depots.js';
import { NeedList } from './needlist.js';
import { NeedDetail } from './detail.js';
import { NeedCreator } from './create.js';
import { AreaMobiliser } from './area.js';
import { Counters } from './counters.js';
import { ConsoleLive, supplyFetcher } from './live.js';
import { legend } from './legend.js';
import { DemoControls } from './demo.js';

let session = null;
let toastTimer = null;

function toast(text, isError = false) {
  const el = $('#toast');
  el.textContent = text;
  el.className = isError ? 'show error' : 'show';
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.className = ''; }, isError ? 8000 : 4000);
}

function expired() {
  if (!session) return;
  session = null;
  clearSession();
  location.reload();
}

async function start() {
  const featuresP = Features.load();
  const api = createAPI(() => session && session.token, expired);
  session = loadSession();
  if (!session) session = await showLogin($('#login'), api, new URLSearchParams(location.search).get('expired') ? 'Your session has ended.' : '');
  $('#login').hidden = true;
  $('#app').hidden = false;
  $('#user').textContent = `${session.username || ''} (${session.role})`;
  $('#logout').addEventListener('click', async () => {
    try {
      await api.post('/api/v1/auth/revoke');
    } catch {
      // logging out locally is what matters
    }
    session = null;
    clearSession();
    location.reload();
  });
  const features = await featuresP;
  run(api, features);
}

function run(api, features) {
  const map = createMap($('#map'), pageConfig());
  const store = new Store();
  let detail = null;
  // select shows a need; from the list it also brings the map to it.
  const select = (id, fly = false) => {
    const n = store.needs.get(id);
    if (fly && n && Number.isFinite(n.lat)) map.setView([n.lat, n.lng], Math.max(map.getZoom(), 15));
    needsLayer.select(id);
    list.select(id);
    detail.show(id);
  };
  const needsLayer = new NeedsLayer(map, store, select);
  const responders = new RespondersLayer(map, store, (rid) => detail.pickResponder(rid));
  const lines = new LinesLayer(map, store);
  const heat = new HeatmapLayer(map, store, supplyFetcher(api, features));
  const grid = new GridLayer(map);
  const depots = new DepotsLayer(map, api, features);
  const list = new NeedList($('#needs'), store, (id) => select(id, true));
  detail = new NeedDetail($('#detail'), {
    api, store, features, toast,
    onClose: () => { detail.hide(); needsLayer.select(null); list.select(null); },
  });
  const counters = new Counters($('#counters'), api, $('#outage'));
  const creator = new NeedCreator(map, { api, store, toast, button: $('#tool-create'), onCreated: select });
  const area = new AreaMobiliser(map, { api, store, features, toast, button: $('#tool-area'), panel: $('#area-panel') });
  $('#tool-create').addEventListener('click', () => { if (area.drawing) area.stop(); });
  $('#tool-area').addEventListener('click', () => creator.toggle(false));

  heat.group.addTo(map);
  grid.group.addTo(map);
  L.control.layers(null, {
    Needs: needsLayer.group,
    Responders: responders.group,
    'Responder cells': responders.clusters,
    'Offer lines': lines.group,
    'Supply / demand': heat.group,
    'H3 grid': grid.group,
    Depots: depots.group,
  }, { collapsed: true, position: 'topright' }).addTo(map);
  legend().addTo(map);

  store.onChange((kinds) => {
    if (kinds.has('needs')) {
      needsLayer.render();
      list.render();
    }
    if (kinds.has('responders') || kinds.has('offers')) responders.render();
    lines.render();
    heat.render();
  });

  const live = new ConsoleLive({
    map, store, api, features, toast,
    token: () => session && session.token,
    onEvent: (type, d) => {
      counters.soon();
      if (type === 'need.escalated') {
        const why = d.manual ? ' by hand'
          : d.reason === 'nobody_in_scope' ? ': nobody available in the narrower scope'
          : ` after ${Math.round(d.waited_s / 60)} min unfilled`;
        toast(`Need ${d.need_id} widened to ${d.step_name} (${d.tier})${why}.`);
      }
      if (type === 'need.supplied') depots.soon();
      if (detail.id && d.need_id === detail.id) detail.reload();
    },
    onState: (s) => {
      const el = $('#conn');
      el.className = `conn ${s}`;
      el.title = { open: 'live', connecting: 'connecting…', closed: 'offline, reconnecting' }[s] || s;
    },
    onUnauthorized: expired,
  });
  list.render();
  counters.start();
  live.start();
  depots.start();
  new DemoControls({ api, token: () => session && session.token, role: session.role, store, toast, tools: document.querySelector('.bar .tools') });
  window.liandong = { map, store }; // for operators poking at the console, and for tests
}

start().catch((err) => {
  document.body.append(h('p', { class: 'fatal' }, `The console failed to start: ${err.message}`));
  throw err;
});
