// The notifications card of the responder page: one large button that
// turns notifications on (the browser asks for permission only after it is
// pressed), says when they are on and turns them off. On: the phone is
// subscribed with the server's VAPID key (GET /api/v1/push/key) and the
// subscription registered for this responder, in the page's language; the
// session is kept on the device so that the service worker can answer from
// a notification. Every failure says why, kindly, with a way to try again;
// a refusal says how to allow notifications again, once, without asking.
import { h, replace } from '../lib/dom.js';
import { has, lang, t } from '../lib/i18n.js';
import { wireLang } from './notice.js';
import { forget, keep, kept } from './store.js';

const READY_MS = 10000;

export const pushSupported = () => 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;

// fromBase64URL turns the VAPID key into the bytes subscribe() wants.
export function fromBase64URL(s) {
  const b64 = String(s).replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(b64.padEnd(b64.length + ((4 - (b64.length % 4)) % 4), '='));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

function sameKey(a, b) {
  if (!a || !b || a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a);
  return b.every((v, i) => v === x[i]);
}

function ready() {
  return Promise.race([
    navigator.serviceWorker.ready,
    new Promise((_, reject) => setTimeout(() => reject(Object.assign(new Error('no service worker'), { reason: 'respond.notify.reason.no_worker' })), READY_MS)),
  ]);
}

// reasonOf names what went wrong as a catalogue key.
function reasonOf(err) {
  if (err && err.reason) return err.reason;
  if (err && err.status === 404) return 'respond.notify.reason.not_offered';
  if (err && err.status === 0) return 'respond.notify.reason.offline';
  if (err && err.status && has(`error.${err.code}`)) return `error.${err.code}`;
  if (err && err.status) return 'error.internal';
  return 'respond.notify.reason.push_service'; // subscribe() refused: the phone's push service
}

export class Notifications {
  // el is the card; api the page's client; me the responder; device the
  // page's Device (install.js).
  constructor(el, { api, me, device }) {
    Object.assign(this, { el, api, me, device });
    this.state = 'off';
    this.reason = '';
  }

  async start() {
    if (!pushSupported()) {
      this.show('unsupported');
      return;
    }
    if (Notification.permission === 'denied') {
      this.show('denied');
      return;
    }
    const rec = await kept('push');
    const reg = await navigator.serviceWorker.getRegistration('/respond').catch(() => null);
    const sub = reg && await reg.pushManager.getSubscription().catch(() => null);
    this.show(rec && sub && Notification.permission === 'granted' ? 'on' : 'off');
  }

  show(state, reason = '') {
    this.state = state;
    this.reason = reason;
    this.el.dataset.state = state;
    this.draw();
  }

  draw() {
    const s = this.state;
    const button = (key, onclick, cls = 'primary') => h('button', { type: 'button', class: `big ${cls}`, dataset: { i18n: key }, onclick }, t(key));
    const parts = [h('h2', {}, t('respond.notify.title'))];
    if (s === 'unsupported') parts.push(h('p', { class: 'small muted' }, t('respond.notify.unsupported')));
    if (s === 'off') parts.push(h('p', { class: 'small' }, t('respond.notify.why')), button('respond.notify.turn_on', () => this.turnOn()));
    if (s === 'working') parts.push(h('button', { type: 'button', class: 'big primary', disabled: true }, t('respond.notify.working')));
    if (s === 'on') parts.push(h('p', { class: 'ok' }, t('respond.notify.on')), button('respond.notify.turn_off', () => this.turnOff(), 'plain'));
    if (s === 'denied') parts.push(h('p', { class: 'small' }, t('respond.notify.denied')));
    if (s === 'failed') {
      parts.push(h('p', { class: 'error', role: 'alert' }, t('respond.notify.failed', { reason: t(this.reason) })),
        button('respond.notify.retry', () => this.turnOn()));
    }
    replace(this.el, parts);
    this.el.hidden = false;
  }

  async turnOn() {
    this.show('working');
    let permission = Notification.permission;
    try {
      if (permission !== 'granted') permission = await Notification.requestPermission();
    } catch {
      permission = Notification.permission;
    }
    if (permission === 'denied') return this.show('denied');
    if (permission !== 'granted') return this.show('off'); // dismissed: ask again only when pressed again
    try {
      const { vapid_public_key: key } = await this.api.get('/api/v1/push/key');
      if (!key) throw Object.assign(new Error('no key'), { reason: 'respond.notify.reason.not_offered' });
      const serverKey = fromBase64URL(key);
      const reg = await ready();
      let sub = await reg.pushManager.getSubscription();
      if (sub && !sameKey(sub.options.applicationServerKey, serverKey)) {
        await sub.unsubscribe(); // made with another key: the server changed its keys
        sub = null;
      }
      if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: serverKey });
      const id = await this.register(sub);
      await this.device.keep();
      await keep('push', { id, endpoint: sub.endpoint });
      this.show('on');
    } catch (err) {
      this.show('failed', reasonOf(err));
    }
    return undefined;
  }

  // register tells the server where to push, in the page's language.
  async register(sub) {
    const { endpoint, keys } = sub.toJSON();
    const res = await this.api.post(`/api/v1/responders/${encodeURIComponent(this.me)}/push-subscriptions`, { endpoint, keys, lang: wireLang(lang()) });
    return res && res.id;
  }

  // turnOff unsubscribes the phone (its endpoint dies, so nothing more
  // reaches it even if the server is not told) and tells the server.
  async turnOff() {
    this.show('working');
    const rec = await kept('push');
    if (rec && rec.id) {
      await this.api.del(`/api/v1/responders/${encodeURIComponent(this.me)}/push-subscriptions/${encodeURIComponent(rec.id)}`).catch(() => {});
    }
    await this.unsubscribe();
    await forget('push');
    await this.device.release();
    this.show('off');
  }

  // languageChanged registers the subscription again in the new language.
  async languageChanged() {
    this.draw();
    if (this.state !== 'on') return;
    const reg = await navigator.serviceWorker.getRegistration('/respond').catch(() => null);
    const sub = reg && await reg.pushManager.getSubscription().catch(() => null);
    if (sub) this.register(sub).catch(() => {});
  }

  // unsubscribe drops this phone's subscription, as when the session ends.
  async unsubscribe() {
    if (!pushSupported()) return;
    const reg = await navigator.serviceWorker.getRegistration('/respond').catch(() => null);
    const sub = reg && await reg.pushManager.getSubscription().catch(() => null);
    if (sub) await sub.unsubscribe().catch(() => {});
  }
}
