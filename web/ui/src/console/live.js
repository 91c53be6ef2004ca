// The console's live feed: the operator websocket, subscribed to the map's
// box and renewed on pan and zoom, plus the REST reads that fill in what
// events do not carry (a need's team and slots) and catch up after a
// reconnect (an operator socket has no inbox).
import { LiveSocket } from '../lib/socket.js';
import { t } from '../lib/i18n.js';
import { errorText } from './say.js';

const EVENT_TYPES = new Set(['need.created', 'need.updated', 'need.staffed', 'need.completed', 'need.escalated', 'need.supplied', 'offer.sent', 'offer.answered', 'responder.moved', 'field_status', 'message', 'message.read']);
// Events after which a need's team or status may differ from what the
// event says: the need is read again.
const REFRESH_ON = new Set(['need.updated', 'need.staffed', 'need.completed', 'need.escalated', 'offer.sent', 'offer.answered']);
const FLUSH_MS = 400;
const PER_FLUSH = 12;

export const SUPPLY_PATH = '/api/v1/map/supply';

// boxOf is the map's view, padded, as [minLng, minLat, maxLng, maxLat].
export function boxOf(map, pad = 0.25) {
  const b = map.getBounds().pad(pad);
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  return [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)]
    .map((v) => Number(v.toFixed(5)));
}

export class ConsoleLive {
  constructor({ map, store, api, features, token, onEvent, onState, onUnauthorized, toast, onNeedsLoaded }) {
    Object.assign(this, { map, store, api, features, onEvent, toast, onNeedsLoaded });
    this.pending = new Set();
    this.moveTimer = null;
    this.socket = new LiveSocket({
      token,
      // A busy map's events come a window at a time, one frame each.
      params: { frames: 'events' },
      onOpen: () => this.opened(),
      onMessage: (env) => this.message(env),
      onState: (s) => {
        if (s !== 'open') delete document.body.dataset.live;
        onState(s);
      },
      onUnauthorized,
      verify: () => api.get('/api/v1/stats'),
    });
    map.on('moveend', () => {
      clearTimeout(this.moveTimer);
      this.moveTimer = setTimeout(() => this.viewChanged(), 250);
    });
    setInterval(() => this.flush(), FLUSH_MS);
  }

  start() {
    this.socket.start();
  }

  stop() {
    this.socket.stop();
  }

  opened() {
    this.subscribe();
    this.loadNeeds();
  }

  viewChanged() {
    this.subscribe();
  }

  subscribe() {
    this.socket.send('subscribe', { bbox: boxOf(this.map) });
  }

  message(env) {
    const d = env.data || {};
    if (env.type === 'subscribed') {
      document.body.dataset.live = '1';
      this.zoomHint(false);
      return;
    }
    if (env.type === 'error' && d.code === 'bbox_too_large') {
      // The server keeps the last box it accepted: say so once, quietly,
      // rather than toasting an error at every pan of a wide view.
      this.zoomHint(true);
      return;
    }
    if (env.type === 'error') {
      this.toast(() => t('console.toast.server', { error: errorText({ code: d.code, message: d.message }) }), true);
      return;
    }
    if (!EVENT_TYPES.has(env.type)) return;
    this.store.apply(env.type, d);
    if (REFRESH_ON.has(env.type) && d.need_id) this.pending.add(d.need_id);
    this.onEvent(env.type, d);
  }

  zoomHint(on) {
    const el = document.getElementById('zoomhint');
    if (el) el.hidden = !on;
  }

  // flush reads the needs that events touched, a few at a time.
  flush() {
    for (const id of [...this.pending].slice(0, PER_FLUSH)) {
      this.pending.delete(id);
      this.api.get(`/api/v1/needs/${encodeURIComponent(id)}`)
        .then((n) => this.store.upsertNeed(n))
        .catch(() => {});
    }
  }

  // loadNeeds reads every active need, and looks again at any the store
  // holds as active that the list no longer has (closed while away).
  async loadNeeds() {
    const seen = new Set();
    try {
      for (const status of ['open', 'staffing', 'staffed']) {
        const res = await this.api.get(`/api/v1/needs?status=${status}&limit=1000`);
        for (const n of res.needs || []) {
          this.store.upsertNeed(n);
          seen.add(n.id);
        }
      }
    } catch (err) {
      if (err.status !== 401) this.toast(() => t('console.toast.needsFailed', { error: errorText(err) }), true);
      return;
    }
    for (const n of this.store.needs.values()) {
      if (!seen.has(n.id) && !n.closedMs) this.pending.add(n.id);
    }
    // The first load after login brings the needs into view; later ones
    // (a reconnect) leave the operator's view alone.
    if (this.onNeedsLoaded && !this.needsLoaded) {
      this.needsLoaded = true;
      this.onNeedsLoaded();
    }
  }
}

// supplyFetcher reads per-cell counts of available responders, when the
// server offers them.
export function supplyFetcher(api, features) {
  if (!features.has('get', SUPPLY_PATH)) return null;
  return async (bbox, res) => {
    const body = await api.get(`${SUPPLY_PATH}?bbox=${bbox.map((v) => v.toFixed(5)).join(',')}&res=${res}`);
    return new Map((body.cells || []).map((c) => [c.cell, c.available || 0]));
  };
}
