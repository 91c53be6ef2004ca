// The words of the responder's notifications, in the language kept on the
// device (the service worker has no page to ask): an offer pushed to the
// phone, and what became of an answer given from the notification. Only
// the facts the push carries (category, role, urgency, distance,
// deadline): never an address or a description, which could show on a
// locked screen.
import '../lib/words.js';
import './messages.js';
import { translate } from '../lib/i18n.js';

// pageLang turns the contract's language ("zh", "en") into the
// catalogue's, and back.
export const pageLang = (l) => (l === 'en' ? 'en' : 'zh-CN');
export const wireLang = (l) => (l === 'en' ? 'en' : 'zh');

function named(l, family, value, fallback) {
  const key = `${family}.${value}`;
  const said = translate(l, key);
  if (said !== key) return said;
  return value ? String(value).replace(/[_-]+/g, ' ').trim() : translate(l, fallback);
}

function distanceIn(l, m) {
  if (!Number.isFinite(m)) return '';
  const n = (v, digits = 0) => new Intl.NumberFormat(l, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v);
  if (m < 1000) return translate(l, 'unit.m', { n: n(Math.round(m)) });
  return translate(l, 'unit.km', { n: n(m / 1000, m < 10000 ? 1 : 0) });
}

function clockIn(zone, at) {
  const d = new Date(Date.parse(at));
  if (!Number.isFinite(d.getTime())) return '';
  try {
    return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: zone || 'Asia/Shanghai' }).format(d);
  } catch {
    return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
  }
}

// offerNotice is the notification for a pushed offer (the contract's
// {"type":"offer", ...}): its title, body and options for showNotification.
export function offerNotice(offer, lang, zone) {
  const l = pageLang(lang);
  const cat = named(l, 'category', offer.category, 'category.none');
  const urgent = offer.urgency === 1 || offer.urgency === 2;
  const urgencyKey = `urgency.${offer.urgency}`;
  const urgency = translate(l, urgencyKey) !== urgencyKey ? translate(l, urgencyKey) : translate(l, 'urgency.other', { level: offer.urgency });
  return {
    title: translate(l, 'respond.push.title', { cat }),
    options: {
      body: translate(l, 'respond.push.body', {
        urgency,
        role: named(l, 'role', offer.role, 'role.unknown'),
        dist: distanceIn(l, offer.distance_m),
        time: clockIn(zone, offer.expires_at),
      }),
      tag: offer.offer_id,
      renotify: true,
      requireInteraction: urgent,
      lang: l,
      dir: 'ltr',
      icon: '/static/icon-192.png',
      badge: '/static/icon-192.png',
      actions: [
        { action: 'accept', title: translate(l, 'verb.accept') },
        { action: 'decline', title: translate(l, 'verb.decline') },
      ],
      data: { ...offer },
    },
  };
}

// answerNotice is the short notification after an answer given from a
// notification; outcome is accepted, declined, closed (expired, withdrawn
// or filled), signed_out or not_sent.
export function answerNotice(offer, outcome, lang) {
  const l = pageLang(lang);
  const cat = named(l, 'category', offer.category, 'category.none');
  return {
    title: translate(l, `respond.push.${outcome}.title`, { cat }),
    options: {
      body: translate(l, `respond.push.${outcome}.body`),
      tag: offer.offer_id,
      renotify: false,
      lang: l,
      icon: '/static/icon-192.png',
      data: { open: true },
    },
  };
}

// STAFF_ROLES write as the command centre.
const STAFF_ROLES = new Set(['admin', 'operator', 'coordinator']);

// messageNotice is the notification for a pushed message (the contract's
// {"type":"message", ...}): who wrote, by role, and the first words. The
// whole message waits in the inbox for the page.
export function messageNotice(msg, lang) {
  const l = pageLang(lang);
  const standby = msg.scope === 'standby'; // a CAP pre-alert: the warning's headline, nobody wrote it
  const who = STAFF_ROLES.has(msg.from_role) ? translate(l, 'respond.field.centre') : named(l, 'role', msg.from_role, 'role.unknown');
  if (msg.scope === 'nudge') return nudgeNotice(msg, l); // a surge nudge: the server's words, nobody wrote it
  return {
    title: standby ? translate(l, 'respond.push.standby.title') : translate(l, 'respond.push.message.title', { who }),
    options: {
      body: translate(l, standby ? 'respond.push.standby.body' : 'respond.push.message.body', { preview: String(msg.preview || '') }),
      tag: `message-${msg.message_id}`,
      lang: l,
      dir: 'auto',
      icon: '/static/icon-192.png',
      badge: '/static/icon-192.png',
      data: { type: 'message', message_id: msg.message_id, need_id: msg.need_id || '' },
    },
  };
}

// nudgeNotice is the notification for a pushed surge nudge: its preview
// is the server's text in the responder's language; the page's card has
// the action.
function nudgeNotice(msg, l) {
  return {
    title: translate(l, 'respond.push.nudge.title'),
    options: {
      body: String(msg.preview || ''),
      tag: `nudge-${msg.message_id}`,
      lang: l,
      dir: 'auto',
      icon: '/static/icon-192.png',
      badge: '/static/icon-192.png',
      data: { type: 'message', message_id: msg.message_id, need_id: '' },
    },
  };
}
