// The command centre console (/console): login, then the live map, the
// need list and detail, counters, filing needs and mobilising areas.
import 'leaflet/dist/leaflet.css';
import 'leaflet.markercluster/dist/MarkerCluster.css';
import './console.css';
import L from 'leaflet';
import { $, h } from '../lib/dom.js';
import { chooseLang, onLangChange, setLang, t } from '../lib/i18n.js';
import './messages.js';
import { accountRole, needName, stepName, tierName } from './say.js';
import { wireLangButtons } from './langswitch.js';
import { createAPI, Features } from '../lib/api.js';
import { createMap, pageConfig } from '../lib/basemap.js';
import { Store } from './store.js';
import { clearSession, loadSession, showLogin } from './login.js';
import { NeedsLayer } from './layers/needs.js';
import { RespondersLayer } from './layers/responders.js';
import { LinesLayer } from './layers/lines.js';
import { HeatmapLayer, surgeFetcher } from './layers/heatmap.js';
import { GridLayer } from './layers/grid.js';
import { DepotsLayer } from './layers/depots.js';
import { NeedList } from './needlist.js';
import { NeedDetail } from './detail.js';
import { NeedCreator } from './create.js';
import { AreaMobiliser } from './area.js';
import { TeamChat, broadcastForm } from './chat.js';
import { Counters } from './counters.js';
import { ConsoleLive, supplyFetcher } from './live.js';
import { legend } from './legend.js';
import { DemoControls } from './demo.js';
// Incidents panel and review queue (issue 16).
import { IncidentsPanel } from './incidents.js';
import { ReviewQueue } from './review.js';
import { SideTabs } from './sidetabs.js';
import { Coverage } from './coverage.js';

let session = null;
let toastTimer = null;
let toastSay = null;

// toast shows a short note; say is a function that words it, so that a
// note on screen is said again when the language changes.
function toast(say, isError = false) {
  const el = $('#toast');
  toastSay = typeof say === 'function' ? say : () => say;
  el.textContent = toastSay();
  el.className = isError ? 'show error' : 'show';
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.className = ''; toastSay = null; }, isError ? 8000 : 4000);
}

// announce tells screen readers, politely, of a change that matters (a
// need staffed); the toast is for the eyes.
function announce(text) {
  $('#announce').textContent = text;
}

// The page speaks the chosen language before anything is drawn.
setLang(chooseLang());
wireLangButtons(document);
onLangChange(() => {
  if (toastSay) $('#toast').textContent = toastSay();
});

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
  if (!session) session = await showLogin($('#login'), api, new URLSearchParams(location.search).get('expired') ? t('console.session.ended') : '');
  $('#login').hidden = true;
  $('#app').hidden = false;
  const user = () => { $('#user').textContent = t('console.user', { name: session ? session.username || '' : '', role: session ? accountRole(session.role) : '' }); };
  user();
  onLangChange(user);
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
  // From the list the keyboard follows into the detail; Escape (or the
  // close button) brings it back to the need's row.
  const select = (id, fly = false) => {
    const n = store.needs.get(id);
    if (fly && n && Number.isFinite(n.lat)) map.setView([n.lat, n.lng], Math.max(map.getZoom(), 15));
    needsLayer.select(id);
    if (fly) needsLayer.reveal(id); // out of its cluster
    list.select(id);
    detail.show(id);
    chat.show(id);
    if (fly) $('#detail').focus();
  };
  const close = () => {
    const id = detail.id;
    detail.hide();
    chat.hide();
    needsLayer.select(null);
    list.select(null);
    list.focus(id);
  };
  $('#detail').addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      close();
    }
  });
  const needsLayer = new NeedsLayer(map, store, select);
  const responders = new RespondersLayer(map, store, (rid) => detail.pickResponder(rid));
  const lines = new LinesLayer(map, store);
  const heat = new HeatmapLayer(map, store, supplyFetcher(api, features), surgeFetcher(api, features));
  const grid = new GridLayer(map);
  const depots = new DepotsLayer(map, api, features);
  const list = new NeedList($('#needs'), store, (id) => select(id, true));
  detail = new NeedDetail($('#detail'), {
    api, store, features, toast,
    onClose: close,
    onMessage: (rid) => chat.writeTo(rid),
  });
  // Messages (chat.js): the shown need's thread, below its detail.
  const chat = new TeamChat($('#chat'), { api, features, toast });
  const counters = new Counters($('#counters'), api, $('#outage'));
  const creator = new NeedCreator(map, { api, store, toast, button: $('#tool-create'), onCreated: select });
  const area = new AreaMobiliser(map, { api, store, features, toast, button: $('#tool-area'), panel: $('#area-panel'), broadcast: broadcastForm });
  $('#tool-fit').addEventListener('click', () => {
    if (!needsLayer.fit()) toast(() => t('console.fit.none'));
  });
  $('#tool-create').addEventListener('click', () => { if (area.drawing) area.stop(); });
  $('#tool-area').addEventListener('click', () => creator.toggle(false));

  heat.group.addTo(map);
  grid.group.addTo(map);
  // Leaflet's layer switch takes its names once: a new language makes a
  // new switch.
  let layers = null;
  const layerSwitch = () => {
    if (layers) layers.remove();
    layers = L.control.layers(null, {
      [t('console.layer.needs')]: needsLayer.group,
      [t('console.layer.responders')]: responders.group,
      [t('console.layer.cells')]: responders.clusters,
      [t('console.layer.lines')]: lines.group,
      [t('console.layer.heat')]: heat.group,
      [t('console.layer.grid')]: grid.group,
      [t('console.layer.depots')]: depots.group,
    }, { collapsed: true, position: 'topright' }).addTo(map);
  };
  layerSwitch();
  legend().addTo(map);
  // Leaflet's own controls name themselves in English: say it in ours.
  const mapControls = () => {
    const name = (sel, key) => {
      const el = map.getContainer().querySelector(sel);
      if (!el) return;
      el.title = t(key);
      el.setAttribute('aria-label', t(key));
    };
    name('.leaflet-control-zoom-in', 'console.zoom.in');
    name('.leaflet-control-zoom-out', 'console.zoom.out');
    name('.leaflet-control-layers-toggle', 'console.layer.toggle');
  };
  mapControls();

  store.onChange((kinds) => {
    if (kinds.has('needs')) {
      needsLayer.render();
      list.render();
    }
    if (kinds.has('responders') || kinds.has('offers')) responders.render();
    lines.render();
    heat.render();
  });

  // The connection dot says its state in words too (title and name).
  let conn = 'connecting';
  const sayConn = () => {
    const el = $('#conn');
    el.className = `conn ${conn}`;
    const word = { open: t('console.conn.open'), connecting: t('console.conn.connecting'), closed: t('console.conn.closed') }[conn] || conn;
    el.title = word;
    el.setAttribute('aria-label', word);
  };
  sayConn();
  onLangChange(() => {
    sayConn();
    list.render();
    detail.redraw();
    chat.redraw();
    counters.redraw();
    needsLayer.render();
    responders.render();
    depots.redraw();
    heat.render();
    layerSwitch();
    mapControls();
  });

  // Incidents panel and review queue (issue 16): the side's tabs, the
  // incident filter over the list and the map, the queue and its badge.
  const sideTabs = new SideTabs($('#side-tabs'));
  const incidents = new IncidentsPanel({ map, api, store, role: session.role, picker: $('#incident-picker'), panel: $('#incidents-panel') });
  const review = new ReviewQueue({ map, api, store, panel: $('#review-panel'), badge: $('#review-badge'), toast });
  onLangChange(() => {
    incidents.redraw();
    review.render();
  });
  incidents.start();
  review.start();
  // end incidents panel and review queue

  const live = new ConsoleLive({
    map, store, api, features, toast,
    token: () => session && session.token,
    onEvent: (type, d) => {
      counters.soon();
      incidents.onEvent(type, d); // issue 16: a new need's incident
      review.onEvent(type); // issue 16: a new need may be a duplicate
      if (type === 'need.escalated') {
        const say = () => {
          const why = d.manual ? t('console.why.manual')
            : d.reason === 'nobody_in_scope' ? t('console.why.nobody')
            : t('console.why.waited', { minutes: Math.round(d.waited_s / 60) });
          return t('console.announce.escalated', { need: needName(store.needs.get(d.need_id) || d), step: stepName(d.step_name), tier: tierName(d.tier), why });
        };
        toast(say);
      }
      if (type === 'need.staffed') announce(t('console.announce.staffed', { need: needName(store.needs.get(d.need_id) || d) }));
      if (type === 'need.completed') announce(t('console.announce.completed', { need: needName(store.needs.get(d.need_id) || d) }));
      if (type === 'need.supplied') depots.soon();
      if (detail.id && d.need_id === detail.id) detail.reload();
      chat.event(type, d);
    },
    onState: (s) => {
      conn = s;
      sayConn();
    },
    onUnauthorized: expired,
    // At login the map shows the active needs; with none it stays at the
    // configured start view.
    onNeedsLoaded: () => needsLayer.fit(),
  });
  list.render();
  counters.start();
  live.start();
  depots.start();
  // On-call coverage per street, and the night's gaps (coverage.js).
  const coverage = new Coverage($('#coverage'), api);
  coverage.start();
  onLangChange(() => coverage.redraw());
  new DemoControls({ api, token: () => session && session.token, role: session.role, store, toast, tools: document.querySelector('.bar .tools') });
  window.liandong = { map, store, detail }; // for operators poking at the console, and for tests
  Object.assign(window.liandong, { incidents, review, sideTabs }); // issue 16
}

start().catch((err) => {
  document.body.append(h('p', { class: 'fatal' }, t('console.failed', { message: err.message })));
  throw err;
});
