// Words and colours shared by both pages.

export const ROLES = ['social_worker', 'volunteer', 'medic', 'community_worker'];

const roleNames = {
  social_worker: 'Social worker',
  volunteer: 'Volunteer',
  medic: 'Medic',
  community_worker: 'Community worker',
};

const roleLetters = { social_worker: 'S', volunteer: 'V', medic: 'M', community_worker: 'C' };

export const roleName = (r) => roleNames[r] || r || '?';
export const roleLetter = (r) => roleLetters[r] || '?';

const urgencyNames = { 1: 'Life-threatening', 2: 'Urgent', 3: 'Soon', 4: 'Routine' };
export const urgencyName = (u) => urgencyNames[u] || `Urgency ${u}`;

export const URGENCY_COLOURS = { 1: '#d7191c', 2: '#f07c19', 3: '#d9b300', 4: '#2c7bb6' };

// category turns "elderly_checkin" into "Elderly checkin".
export function category(c) {
  if (!c) return 'Need';
  const s = String(c).replace(/[_-]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// ago says how long ago t was: "40 s", "12 min", "3 h 05".
export function ago(t, now = Date.now()) {
  const ms = now - (typeof t === 'number' ? t : Date.parse(t));
  if (!Number.isFinite(ms)) return '';
  return duration(Math.max(0, ms));
}

export function duration(ms) {
  if (ms < 1000) return '<1 s';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const hrs = Math.floor(m / 60);
  return `${hrs} h ${String(m % 60).padStart(2, '0')}`;
}

export function distance(m) {
  if (!Number.isFinite(m)) return '';
  return m < 1000 ? `${Math.round(m)} m` : `${(m / 1000).toFixed(m < 10000 ? 1 : 0)} km`;
}

// clock shows a countdown as m:ss.
export function clock(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

const shortfalls = {
  nobody_in_radius: 'nobody with this role and skills within reach',
  all_busy: 'everyone within reach is busy',
  all_declined: 'everyone within reach declined or let the offer expire',
  taken_by_more_urgent: 'the people within reach went to more urgent needs',
};
export const shortfallText = (r) => shortfalls[r] || (r ? r.replace(/_/g, ' ') : '');

const withdrawn = {
  expired: 'the offer expired',
  cancelled: 'the need was cancelled',
  filled: 'someone else filled the place',
  unstaffed: 'the need ran out of time',
};
export const withdrawnText = (r) => withdrawn[r] || r || 'withdrawn';
