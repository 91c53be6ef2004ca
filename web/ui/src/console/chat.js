// Messages from the console: a need's team thread with read receipts,
// a word to one responder, and a message to everyone in a drawn area.
// Every text anyone wrote goes into the page as text (h() makes text
// nodes), never as markup.
import { h, replace } from '../lib/dom.js';
import { ROLES, roleName, timeOfDay } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { errorText, num } from './say.js';

export const THREAD_PATH = '/api/v1/needs/{id}/messages';
export const DIRECT_PATH = '/api/v1/responders/{id}/messages';
export const BROADCAST_PATH = '/api/v1/messages';
export const MAX_CHARS = 500;

// chars counts characters as the server does (code points, not UTF-16).
const chars = (s) => [...s].length;

// composeBox is a textarea with its length shown against the limit and a
// send button; send(text) resolves true when the text went.
function composeBox({ id, label, send, disabled = false }) {
  const counter = h('small', { class: 'chat-count', id: `${id}-count`, 'aria-live': 'polite' }, t('console.chat.count', { n: 0, max: MAX_CHARS }));
  const area = h('textarea', { id: `${id}-text`, name: 'text', rows: 3, required: true, maxlength: MAX_CHARS, 'aria-describedby': `${id}-count` });
  const count = () => {
    const n = chars(area.value);
    counter.textContent = t('console.chat.count', { n, max: MAX_CHARS });
    counter.classList.toggle('over', n > MAX_CHARS);
  };
  area.addEventListener('input', count);
  const form = h('form', { class: 'chat-compose', id, onsubmit: async (e) => {
    e.preventDefault();
    const text = area.value;
    if (!text.trim() || chars(text) > MAX_CHARS) return;
    if (await send(text)) {
      area.value = '';
      count();
    }
  } },
  h('label', { for: `${id}-text` }, label), area, counter,
  h('button', { type: 'submit', class: 'primary', id: `${id}-send`, disabled }, t('console.chat.send')));
  return form;
}

// TeamChat shows the thread of the need the detail shows, below it.
export class TeamChat {
  constructor(el, { api, features, toast }) {
    Object.assign(this, { el, api, features, toast });
    this.id = null;
    this.messages = [];
    this.timer = null;
    this.list = h('ol', { class: 'chat-list', id: 'chat-list', 'aria-live': 'polite' });
    this.direct = h('div', { class: 'chat-direct', id: 'chat-direct', hidden: true });
  }

  show(needID) {
    if (this.id === needID) return;
    this.id = needID;
    this.messages = [];
    this.el.hidden = false;
    const can = this.features.has('post', THREAD_PATH);
    replace(this.el,
      h('h3', { id: 'chat-title' }, t('console.chat.title')),
      this.list,
      composeBox({ id: 'chat-compose', label: t('console.chat.write'), disabled: !can, send: (text) => this.post(text) }),
      this.direct);
    this.el.setAttribute('aria-labelledby', 'chat-title');
    replace(this.list, h('li', { class: 'muted' }, t('console.chat.loading')));
    this.reload();
  }

  hide() {
    this.id = null;
    this.el.hidden = true;
    replace(this.el);
  }

  // redraw says the thread again (a new language).
  redraw() {
    if (!this.id) return;
    const id = this.id;
    this.id = null;
    this.show(id);
  }

  // event takes a console event: a new message or a read mark on the
  // shown thread reads it again (once for a burst).
  event(type, d) {
    if (!this.id || !d || d.need_id !== this.id || (type !== 'message' && type !== 'message.read')) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.reload(), 150);
  }

  async reload() {
    const id = this.id;
    if (!id) return;
    try {
      const res = await this.api.get(`${THREAD_PATH.replace('{id}', encodeURIComponent(id))}?limit=200`);
      if (this.id !== id) return;
      this.messages = (res && res.messages) || [];
      this.renderList();
    } catch (err) {
      if (this.id === id) replace(this.list, h('li', { class: 'error' }, t('console.chat.failed', { error: errorText(err) })));
    }
  }

  renderList() {
    if (!this.messages.length) {
      replace(this.list, h('li', { class: 'muted' }, t('console.chat.empty')));
      return;
    }
    replace(this.list, this.messages.map((m) => h('li', { class: `chat-msg from-${m.from_kind}`, dataset: { message: m.id } },
      h('div', { class: 'chat-meta' },
        h('strong', {}, m.from), ' ', h('span', {}, roleName(m.from_role) || m.from_role), ' · ',
        h('time', { datetime: m.sent_at }, timeOfDay(m.sent_at))),
      h('p', { class: 'chat-text' }, m.text),
      m.for > 0 ? h('small', { class: 'chat-receipt', title: (m.readers || []).map((r) => r.name || r.id).join('、') },
        t('console.chat.read', { read: num(m.read_count), of: num(m.for) })) : null)));
    this.list.lastElementChild?.scrollIntoView?.({ block: 'nearest' });
  }

  async post(text) {
    try {
      await this.api.post(THREAD_PATH.replace('{id}', encodeURIComponent(this.id)), { text });
      await this.reload();
      return true;
    } catch (err) {
      this.toast(() => t('console.chat.sendFailed', { error: errorText(err) }), true);
      return false;
    }
  }

  // writeTo opens a box for a word to one responder alone.
  writeTo(rid) {
    if (!this.id) return;
    this.direct.hidden = false;
    replace(this.direct,
      h('h4', {}, t('console.chat.directTitle', { who: rid })),
      composeBox({ id: 'chat-direct-compose', label: t('console.chat.directWrite'), disabled: !this.features.has('post', DIRECT_PATH), send: async (text) => {
        try {
          await this.api.post(DIRECT_PATH.replace('{id}', encodeURIComponent(rid)), { text });
          this.toast(() => t('console.chat.directSent', { who: rid }));
          this.direct.hidden = true;
          replace(this.direct);
          return true;
        } catch (err) {
          this.toast(() => t('console.chat.sendFailed', { error: errorText(err) }), true);
          return false;
        }
      } }),
      h('button', { type: 'button', onclick: () => { this.direct.hidden = true; replace(this.direct); } }, t('console.chat.close')));
    this.direct.querySelector('textarea')?.focus();
  }
}

// broadcastForm asks for a message to everyone in ring ([lat, lng] corners),
// of a role and an organisation, shows how many it would reach, and sends.
export function broadcastForm(ring, { api, features, toast, onDone }) {
  const area = { type: 'Polygon', coordinates: [[...ring, ring[0]].map(([lat, lng]) => [Number(lng.toFixed(6)), Number(lat.toFixed(6))])] };
  const can = features.has('post', BROADCAST_PATH);
  const preview = h('p', { class: 'chat-preview', id: 'broadcast-preview', 'aria-live': 'polite' });
  const role = h('select', { name: 'role', id: 'broadcast-role' }, h('option', { value: '' }, t('console.chat.anyRole')), ROLES.map((r) => h('option', { value: r }, roleName(r))));
  const org = h('input', { name: 'org', id: 'broadcast-org', autocomplete: 'off' });
  const body = (text) => {
    const b = { text, area };
    if (role.value) b.role = role.value;
    if (org.value.trim()) b.org = org.value.trim();
    return b;
  };
  let box = null;
  const count = async () => {
    const text = box.querySelector('textarea').value.trim() || '?';
    try {
      const res = await api.post(`${BROADCAST_PATH}?dry_run=1`, body(text));
      preview.textContent = t('console.chat.wouldReach', { count: num(res.recipients) });
    } catch (err) {
      preview.textContent = t('console.chat.previewFailed', { error: errorText(err) });
    }
  };
  box = composeBox({ id: 'broadcast-compose', label: t('console.chat.broadcastWrite'), disabled: !can, send: async (text) => {
    try {
      const res = await api.post(BROADCAST_PATH, body(text));
      toast(() => t('console.chat.broadcastSent', { count: num(res.recipients) }));
      onDone();
      return true;
    } catch (err) {
      toast(() => t('console.chat.sendFailed', { error: errorText(err) }), true);
      return false;
    }
  } });
  role.addEventListener('change', count);
  org.addEventListener('change', count);
  return h('div', { class: 'broadcast', id: 'broadcast' },
    h('h3', {}, t('console.chat.broadcastTitle')),
    h('label', { for: 'broadcast-role' }, t('console.chat.role')), ' ', role, ' ',
    h('label', { for: 'broadcast-org' }, t('console.chat.org')), ' ', org,
    h('p', {}, h('button', { type: 'button', id: 'broadcast-count', onclick: count }, t('console.chat.preview'))),
    preview, box,
    h('button', { type: 'button', onclick: onDone }, t('console.chat.close')));
}
