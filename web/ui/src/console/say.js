// Words the console makes from data: statuses, states, tiers, depot items,
// error codes, a need's name, times and numbers, in the page's language.
// The key tables are written out so that every catalogue key is named in
// the source (the catalogue check finds unused keys by name).
import { lang, t, timeZone } from '../lib/i18n.js';
import { category } from '../lib/format.js';

// Statuses, states, tiers and items are the glossary's words (lib/words.js,
// docs/GLOSSARY.md), the same on every page.
const STATUS = {
  open: 'need.open', staffing: 'need.staffing', staffed: 'need.staffed',
  completed: 'need.completed', cancelled: 'need.cancelled', unstaffed: 'need.unstaffed',
  pending_review: 'need.pending_review', rejected: 'need.rejected', merged: 'need.merged',
};
const STATE = {
  offered: 'offer.offered', accepted: 'offer.accepted', declined: 'offer.declined',
  expired: 'offer.expired', withdrawn: 'offer.withdrawn', completed: 'offer.completed',
};
const RSTATE = {
  available: 'responder.available', offered: 'responder.offered', assigned: 'responder.busy', off_duty: 'responder.off_duty',
};
const TIER = { community: 'tier.community', street: 'tier.street', district: 'tier.district', city: 'tier.city' };
const STEP = {
  community: 'console.step.community', rings: 'console.step.rings', partners: 'console.step.partners',
  street: 'console.step.street', district: 'console.step.district', city: 'console.step.city',
};
const ITEM = {
  food_parcel: 'item.food_parcel', medicine_kit: 'item.medicine_kit', oxygen_concentrator: 'item.oxygen_concentrator',
  wheelchair: 'item.wheelchair', vehicle: 'item.vehicle',
};
const ACCOUNT = { admin: 'console.account.admin', operator: 'console.account.operator', coordinator: 'console.account.coordinator' };
const ERROR = {
  network: 'console.error.network', invalid_request: 'console.error.invalid_request', invalid_json: 'console.error.invalid_json',
  not_found: 'console.error.not_found', forbidden: 'console.error.forbidden', rate_limited: 'console.error.rate_limited',
  invalid_transition: 'console.error.invalid_transition', body_too_large: 'console.error.body_too_large',
  request_in_progress: 'console.error.request_in_progress', unavailable: 'console.error.unavailable',
  internal: 'console.error.internal', unauthorized: 'console.error.unauthorized',
};

// word says a value through its table; a value the table lacks (a newer
// server) shows as itself, readable rather than hidden.
const word = (table) => (v) => (table[v] ? t(table[v]) : String(v ?? '').replace(/_/g, ' '));

export const statusName = word(STATUS);
export const stateName = word(STATE);
export const responderState = word(RSTATE);
export const tierName = word(TIER);
export const stepName = word(STEP);
export const itemName = word(ITEM);
export const accountRole = word(ACCOUNT);

// errorText says what went wrong from the server's stable code; the
// English message is the fallback for a code the page does not know.
export function errorText(err) {
  if (err && ERROR[err.code]) return t(ERROR[err.code]);
  if (err && err.status === 503) return t(ERROR.unavailable);
  return t('console.error.other', { message: (err && err.message) || '', code: (err && (err.code || err.status)) || '?' });
}

// needName names a need for people: its category and community ("送药 ·
// 芝罘区示意街道一"). Hook: when the server gives needs a short number
// (n.number), it goes first.
export function needName(n) {
  if (!n) return category('');
  const what = category(n.category);
  const base = n.community ? t('console.need.name', { what, community: n.community }) : what;
  return n.number ? `#${n.number} ${base}` : base;
}

// numbered is a need's short name where its place is shown beside it (a
// list row, the detail's title): "#482 送药", or the category alone for a
// need older than numbers.
export function numbered(n) {
  const what = category(n && n.category);
  return n && n.number ? `#${n.number} ${what}` : what;
}

// when says an instant in the configured time zone, in the language's
// usual form: 2026年12月7日 14:05, or 7 Dec 2026 14:05.
export function when(at) {
  const d = new Date(at);
  if (!Number.isFinite(d.getTime())) return '';
  const zh = lang() === 'zh-CN';
  const parts = {};
  for (const p of new Intl.DateTimeFormat(zh ? 'zh-CN' : 'en-GB', {
    timeZone: timeZone(), year: 'numeric', month: zh ? 'numeric' : 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(d)) parts[p.type] = p.value;
  return zh ? `${parts.year}年${parts.month}月${parts.day}日 ${parts.hour}:${parts.minute}` : `${parts.day} ${parts.month} ${parts.year} ${parts.hour}:${parts.minute}`;
}

// num groups digits as the language does.
export const num = (v, digits = 0) => new Intl.NumberFormat(lang(), { maximumFractionDigits: digits }).format(v);
