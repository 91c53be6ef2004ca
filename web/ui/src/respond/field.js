// On scene and the team thread, on the card of the job in hand: "I have
// arrived" (with the phone's position; farther than the arrival radius
// the server asks why) and "I am leaving", and the messages of the team
// and the command centre. Messages arrive through the durable inbox
// (type "message"); the thread is read once over HTTP when a card first
// shows, and each shown message is marked read. Every text is put in the
// page as text (h() makes text nodes), never as markup.
import { h } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { compareIDs } from './inbox.js';

const ARRIVAL_PATH = '/api/v1/needs/{id}/arrival';
const DEPARTURE_PATH = '/api/v1/needs/{id}/departure';
const THREAD_PATH = '/api/v1/needs/{id}/messages';
const ON_SCENE = 'on_scene';
const STAFF = 'staff';
const path = (p, id) => p.replace('{id}', encodeURIComponent(id));

// Field keeps, per need, the member's field status, the thread and what
// is being typed, across the page's redraws.
export class Field {
  constructor({ api, here, render, announce, me }) {
    Object.assign(this, { api, here, render, announce, me });
    this.byNeed = new Map();
  }

  of(needID) {
    let f = this.byNeed.get(needID);
    if (!f) {
      f = { state: 'en_route', messages: [], draft: '', reason: '', askReason: false, error: '', busy: false, loaded: false };
      this.byNeed.set(needID, f);
    }
    return f;
  }

  // message takes an inbox "message" or "field_status".
  message(type, d) {
    if (!d.need_id) return;
    const f = this.of(d.need_id);
    if (type === 'message') {
      this.add(f, d);
      this.announce(t('respond.field.announce_message', { text: d.text || '' }));
      this.markRead(d.need_id, f);
    }
    this.render();
  }

  add(f, m) {
    if (f.messages.some((x) => x.message_id === m.message_id)) return;
    f.messages.push(m);
    f.messages.sort((a, b) => compareIDs(a.message_id, b.message_id));
  }

  async load(needID) {
    const f = this.of(needID);
    if (f.loaded) return;
    f.loaded = true;
    try {
      const res = await this.api.get(`${path(THREAD_PATH, needID)}?limit=100`);
      for (const m of res.messages || []) this.add(f, { message_id: m.id, need_id: needID, from: m.from, from_kind: m.from_kind, from_role: m.from_role, text: m.text, sent_at: m.sent_at });
      this.markRead(needID, f);
      this.render();
    } catch {
      f.loaded = false; // try again at the next draw
    }
  }

  markRead(needID, f) {
    const last = f.messages[f.messages.length - 1];
    if (!last || last.message_id === f.readUpTo) return;
    f.readUpTo = last.message_id;
    this.api.post(`${path(THREAD_PATH, needID)}/read`, { message_id: last.message_id }).catch(() => { f.readUpTo = ''; });
  }

  async arrive(needID) {
    const f = this.of(needID);
    const p = this.here();
    if (!p) {
      f.error = t('respond.field.no_position');
      this.render();
      return;
    }
    const body = { lat: p.lat, lng: p.lng };
    if (f.askReason && f.reason.trim()) body.reason = f.reason.trim();
    await this.report(f, path(ARRIVAL_PATH, needID), body);
  }

  async leave(needID) {
    await this.report(this.of(needID), path(DEPARTURE_PATH, needID), {});
  }

  async report(f, url, body) {
    f.busy = true;
    f.error = '';
    this.render();
    try {
      const st = await this.api.post(url, body);
      f.state = st.state;
      f.confirmed = st.confirmed;
      f.askReason = false;
      this.announce(t(`respond.field.now.${st.state}`));
    } catch (err) {
      if (err.code === 'too_far') {
        f.askReason = true;
        f.error = t('respond.field.too_far');
      } else {
        f.error = t('respond.field.not_sent');
      }
    }
    f.busy = false;
    this.render();
  }

  async send(needID) {
    const f = this.of(needID);
    const text = f.draft.trim();
    if (!text) return;
    f.busy = true;
    this.render();
    try {
      const m = await this.api.post(path(THREAD_PATH, needID), { text });
      this.add(f, { message_id: m.id, need_id: needID, from: m.from, from_kind: m.from_kind, text: m.text, sent_at: m.sent_at });
      f.draft = '';
      f.error = '';
    } catch (err) {
      f.error = err.code === 'rate_limited' ? t('respond.field.too_many') : t('respond.field.not_sent');
    }
    f.busy = false;
    this.render();
  }

  // writer names who wrote a message: me, the command centre, or the
  // team member's id.
  writer(m) {
    if (m.from === this.me) return t('respond.field.you');
    return m.from_kind === STAFF ? t('respond.field.centre') : m.from;
  }

  // panel draws the field part of a job card.
  panel(j) {
    const id = j.need_id;
    const f = this.of(id);
    if (!j.done) this.load(id);
    const buttons = j.done ? null : f.state === 'en_route'
      ? h('button', { type: 'button', class: 'primary arrive', disabled: f.busy, onclick: () => this.arrive(id) }, t('respond.field.arrive'))
      : f.state === ON_SCENE ? h('button', { type: 'button', class: 'leave', disabled: f.busy, onclick: () => this.leave(id) }, t('respond.field.leave')) : null;
    const confirmed = f.state === ON_SCENE && f.confirmed;
    return h('section', { class: 'field', dataset: { needId: id, field: f.state } },
      h('p', { class: 'field-state' }, t(`respond.field.state.${f.state}`), confirmed ? ' ✓' : ''),
      f.askReason ? h('label', { class: 'reason' }, t('respond.field.reason'),
        h('input', { name: 'reason', value: f.reason, maxlength: 200, oninput: (e) => { f.reason = e.target.value; } })) : null,
      f.error ? h('p', { class: 'error', role: 'alert' }, f.error) : null,
      buttons,
      h('h3', {}, t('respond.field.thread')),
      h('ol', { class: 'thread', 'aria-live': 'polite' }, f.messages.map((m) => h('li', { class: `msg from-${m.from_kind}`, dataset: { id: m.message_id } },
        h('b', {}, this.writer(m)), ' ',
        h('small', {}, m.sent_at ? new Date(Date.parse(m.sent_at)).toTimeString().slice(0, 5) : ''), ' ',
        h('span', { class: 'text' }, m.text)))),
      j.done ? null : h('form', { class: 'say', onsubmit: (e) => { e.preventDefault(); this.send(id); } },
        h('label', {}, t('respond.field.write'),
          h('textarea', { name: 'text', rows: 2, maxlength: 500, value: f.draft, oninput: (e) => { f.draft = e.target.value; } })),
        h('button', { type: 'submit', disabled: f.busy }, t('respond.field.send'))));
  }
}
