// Words, numbers, times and distances as the pages show them, in the
// page's language (lib/i18n.js) from the shared words (lib/words.js).
import './words.js';
import { has, lang, t, timeZone } from './i18n.js';

export const ROLES = ['social_worker', 'volunteer', 'medic', 'community_worker'];

const roleLetters = { social_worker: 'S', volunteer: 'V', medic: 'M', community_worker: 'C' };

export const roleName = (r) => (r && has(`role.${r}`) ? t(`role.${r}`) : r || t('role.unknown'));
export const roleLetter = (r) => roleLetters[r] || '?';

export const urgencyName = (u) => (has(`urgency.${u}`) ? t(`urgency.${u}`) : t('urgency.other', { level: u }));

export const URGENCY_COLOURS = { 1: '#d7191c', 2: '#f07c19', 3: '#d9b300', 4: '#2c7bb6' };

// category names a need's category from the glossary; one the glossary
// does not know (categories are free text) shows as written, "_" as spaces.
export function category(c) {
  if (!c) return t('category.none');
  if (has(`category.${c}`)) return t(`category.${c}`);
  return String(c).replace(/[_-]+/g, ' ').trim();
}

// number groups digits as the language does (12,345 / 12,345).
export const number = (n, opts = {}) => new Intl.NumberFormat(lang(), opts).format(n);

// ago says how long ago t was, as a duration: "40 秒", "12 分钟" /
// "40 s", "12 min" (the console writes it beside a word of its own).
export function ago(t0, now = Date.now()) {
  const ms = now - (typeof t0 === 'number' ? t0 : Date.parse(t0));
  if (!Number.isFinite(ms)) return '';
  return duration(Math.max(0, ms));
}

// relative says when t was as a phrase: "3 分钟前" / "3 minutes ago".
export function relative(t0, now = Date.now()) {
  const ms = (typeof t0 === 'number' ? t0 : Date.parse(t0)) - now;
  if (!Number.isFinite(ms)) return '';
  const rtf = new Intl.RelativeTimeFormat(lang(), { numeric: 'auto' });
  const s = Math.round(ms / 1000);
  if (Math.abs(s) < 60) return rtf.format(s, 'second');
  const m = Math.round(s / 60);
  if (Math.abs(m) < 60) return rtf.format(m, 'minute');
  const hrs = Math.round(m / 60);
  if (Math.abs(hrs) < 48) return rtf.format(hrs, 'hour');
  return rtf.format(Math.round(hrs / 24), 'day');
}

export function duration(ms) {
  if (ms < 1000) return t('dur.under_second');
  const s = Math.round(ms / 1000);
  if (s < 60) return t('dur.s', { n: s });
  const m = Math.floor(s / 60);
  if (m < 60) return t('dur.min', { n: m });
  return t('dur.h_min', { h: number(Math.floor(m / 60)), m: String(m % 60).padStart(2, '0') });
}

// distance: "850 米", "1.2 公里" / "850 m", "1.2 km".
export function distance(m) {
  if (!Number.isFinite(m)) return '';
  if (m < 1000) return t('unit.m', { n: number(Math.round(m)) });
  const digits = m < 10000 ? 1 : 0;
  return t('unit.km', { n: number(m / 1000, { minimumFractionDigits: digits, maximumFractionDigits: digits }) });
}

// clock shows a countdown as m:ss.
export function clock(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function parts(t0, opts) {
  const d = typeof t0 === 'number' ? new Date(t0) : new Date(Date.parse(t0));
  if (!Number.isFinite(d.getTime())) return null;
  const out = {};
  for (const p of new Intl.DateTimeFormat(lang() === 'en' ? 'en-GB' : 'zh-CN', { timeZone: timeZone(), hourCycle: 'h23', ...opts }).formatToParts(d)) out[p.type] = p.value;
  return out;
}

// dateTime is a moment in the configured time zone, in the language's
// usual form: "2026年12月7日 14:05" / "7 Dec 2026 14:05".
export function dateTime(t0) {
  const p = parts(t0, { year: 'numeric', month: lang() === 'en' ? 'short' : 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  if (!p) return '';
  return lang() === 'en'
    ? `${p.day} ${p.month} ${p.year} ${p.hour}:${p.minute}`
    : `${p.year}年${p.month}月${p.day}日 ${p.hour}:${p.minute}`;
}

// timeOfDay is "14:05" in the configured time zone.
export function timeOfDay(t0) {
  const p = parts(t0, { hour: '2-digit', minute: '2-digit' });
  return p ? `${p.hour}:${p.minute}` : '';
}

export const shortfallText = (r) => (has(`shortfall.${r}`) ? t(`shortfall.${r}`) : r ? r.replace(/_/g, ' ') : '');

export const withdrawnText = (r) => (has(`withdrawn.${r}`) ? t(`withdrawn.${r}`) : r || t('withdrawn.other'));
