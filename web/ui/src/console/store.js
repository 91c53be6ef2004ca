// Store is the console's picture of the response: needs, responders and
// offers, fed by REST reads and websocket events. Views subscribe with
// onChange and redraw at most once per animation frame.

const ACTIVE = new Set(['open', 'staffing', 'staffed']);
const LINGER_MS = 90000; // a closed need stays on the map this long

const stateOfStatus = { available: 'available', offered: 'offered', busy: 'assigned', off_duty: 'off_duty' };

export const isActive = (n) => ACTIVE.has(n.status);

// openSlots counts the places of a need nobody has accepted yet.
export function openSlots(n) {
  if (!isActive(n)) return 0;
  if (Array.isArray(n.team) && n.team.length) {
    return n.team.reduce((s, t) => s + Math.max(0, (t.count || 0) - (t.filled || 0)), 0);
  }
  return n.slots || 0;
}

export function totalSlots(n) {
  if (Array.isArray(n.team) && n.team.length) return n.team.reduce((s, t) => s + (t.count || 0), 0);
  return n.slots || 0;
}

export class Store {
  constructor() {
    this.needs = new Map();
    this.responders = new Map();
    this.offers = new Map();
    this.listeners = [];
    this.dirty = new Set();
    this.frame = 0;
    this.filter = null; // the incident chosen in the console (incidents.js)
    setInterval(() => this.sweep(), 15000);
  }

  // shows tells whether a need passes the console's filter (an incident
  // chosen, or none): the list and the map draw only those.
  shows(n) {
    return !this.filter || this.filter(n);
  }

  setFilter(fn) {
    this.filter = fn;
    this.changed('needs');
    this.changed('offers');
  }

  onChange(fn) {
    this.listeners.push(fn);
  }

  changed(kind) {
    this.dirty.add(kind);
    if (this.frame) return;
    const flush = () => {
      this.frame = 0;
      const kinds = this.dirty;
      this.dirty = new Set();
      for (const fn of this.listeners) fn(kinds);
    };
    // rAF does not run in a hidden tab; a timeout keeps the store moving.
    this.frame = document.hidden ? setTimeout(flush, 250) : requestAnimationFrame(flush);
  }

  // upsertNeed merges a need from the API (GET /api/v1/needs/{id}).
  upsertNeed(api) {
    const prev = this.needs.get(api.id) || {};
    const n = {
      ...prev,
      ...api,
      createdMs: Date.parse(api.created_at) || prev.createdMs || Date.now(),
    };
    if (!isActive(n) && !n.closedMs) n.closedMs = Date.now();
    this.needs.set(n.id, n);
    for (const a of api.assignments || []) this.noteAssignment(n, a);
    this.changed('needs');
    return n;
  }

  noteAssignment(n, a) {
    const prev = this.offers.get(a.offer_id) || {};
    this.offers.set(a.offer_id, { ...prev, id: a.offer_id, needID: n.id, responderID: a.responder_id, role: a.role, state: a.state });
    const r = this.responders.get(a.responder_id);
    if (r) this.settleResponder(r);
    this.changed('offers');
  }

  // upsertResponder merges a responder from the API or an event.
  upsertResponder(p) {
    const prev = this.responders.get(p.id) || { id: p.id, state: 'available' };
    const r = { ...prev };
    if (p.role) r.role = p.role;
    if (Number.isFinite(p.lat) && Number.isFinite(p.lng)) {
      r.lat = p.lat;
      r.lng = p.lng;
    }
    if (p.status && stateOfStatus[p.status]) r.state = stateOfStatus[p.status];
    if (p.state) r.state = p.state;
    this.responders.set(r.id, r);
    this.changed('responders');
    return r;
  }

  // settleResponder derives a responder's state from the offers we know.
  settleResponder(r) {
    let state = r.state === 'off_duty' ? 'off_duty' : 'available';
    for (const o of this.offers.values()) {
      if (o.responderID !== r.id) continue;
      if (o.state === 'accepted') state = 'assigned';
      else if (o.state === 'offered' && state !== 'assigned') state = 'offered';
    }
    if (r.state !== state) {
      r.state = state;
      this.changed('responders');
    }
  }

  releaseNeed(needID, finalState) {
    for (const o of this.offers.values()) {
      if (o.needID !== needID || (o.state !== 'offered' && o.state !== 'accepted')) continue;
      o.state = o.state === 'accepted' && finalState === 'completed' ? 'completed' : 'withdrawn';
      const r = this.responders.get(o.responderID);
      if (r) this.settleResponder(r);
    }
    this.changed('offers');
  }

  // apply takes one operator websocket event.
  apply(type, d) {
    const id = d.need_id;
    switch (type) {
      case 'need.created':
        this.mergeNeed(id, {
          status: d.status || 'open', urgency: d.urgency, category: d.category,
          lat: d.lat, lng: d.lng, slots: d.slots, created_at: d.at, number: d.number, community: d.community,
        });
        break;
      case 'need.updated':
      case 'need.staffed':
      case 'need.completed': {
        const status = d.status || (type === 'need.staffed' ? 'staffed' : type === 'need.completed' ? 'completed' : undefined);
        const patch = { lat: d.lat, lng: d.lng };
        if (status) patch.status = status;
        if (d.lead_id) patch.lead_id = d.lead_id;
        const n = this.mergeNeed(id, patch);
        if (type === 'need.staffed') {
          for (const m of d.team || []) this.upsertResponder({ id: m.responder_id, role: m.role, state: 'assigned' });
        }
        if (n && !isActive(n)) this.releaseNeed(id, n.status);
        break;
      }
      case 'need.escalated':
        // The need's scope widened (community -> ... -> city pool).
        this.mergeNeed(id, { lat: d.lat, lng: d.lng, community: d.community, number: d.number,
          escalation: { step: d.step, step_name: d.step_name, tier: d.tier, since: d.at, goal_s: d.goal_s } });
        break;
      case 'offer.sent':
        this.mergeNeed(id, { lat: d.lat, lng: d.lng, urgency: d.urgency });
        this.upsertResponder({ id: d.responder_id, role: d.role, lat: d.responder_lat, lng: d.responder_lng });
        this.offers.set(d.offer_id, { id: d.offer_id, needID: id, responderID: d.responder_id, role: d.role, state: 'offered' });
        this.settleResponder(this.responders.get(d.responder_id));
        this.changed('offers');
        break;
      case 'offer.answered': {
        const o = this.offers.get(d.offer_id) || { id: d.offer_id, needID: id, responderID: d.responder_id };
        o.state = d.state;
        this.offers.set(o.id, o);
        const r = this.responders.get(d.responder_id) || this.upsertResponder({ id: d.responder_id });
        this.settleResponder(r);
        this.changed('offers');
        break;
      }
      case 'field_status': {
        // A member on scene is shown at the need's place until they leave.
        const r = this.upsertResponder(d.state === 'on_scene' ? { id: d.responder_id, lat: d.lat, lng: d.lng } : { id: d.responder_id });
        r.onScene = d.state === 'on_scene';
        this.changed('responders');
        break;
      }
      case 'responder.moved':
        this.upsertResponder({ id: d.responder_id, role: d.role, lat: d.lat, lng: d.lng, status: d.status });
        break;
      default:
    }
  }

  mergeNeed(id, patch) {
    if (!id) return null;
    const prev = this.needs.get(id) || { id, status: 'open', createdMs: Date.now() };
    const n = { ...prev };
    for (const [k, v] of Object.entries(patch)) if (v !== undefined && v !== null) n[k] = v;
    if (patch.created_at) n.createdMs = Date.parse(patch.created_at) || n.createdMs;
    if (!isActive(n) && !n.closedMs) n.closedMs = Date.now();
    this.needs.set(id, n);
    this.changed('needs');
    return n;
  }

  // sweep forgets closed needs after a while, and their finished offers.
  sweep() {
    const cutoff = Date.now() - LINGER_MS;
    for (const [id, n] of this.needs) {
      if (n.closedMs && n.closedMs < cutoff) {
        this.needs.delete(id);
        for (const [oid, o] of this.offers) if (o.needID === id) this.offers.delete(oid);
        this.changed('needs');
      }
    }
  }
}
