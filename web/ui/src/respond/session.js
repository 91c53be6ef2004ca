// The responder's session: the page is opened from a link carrying the
// responder's token (/respond#token=...). The token is taken out of the
// address bar at once, exchanged for a session token where the server
// offers that, and kept in sessionStorage for this tab only. Once the
// responder installs the app or turns on notifications the session token
// (never the link's token) is also kept on the device in IndexedDB
// (store.js), so that the installed app opens signed in and the service
// worker can answer from a notification; it is forgotten when the session
// ends (logout, revocation: any 401).
import { tokenClaims } from '../lib/api.js';
import { forget, keep, kept } from './store.js';

const KEY = 'liandong.respond.session';
export const EXCHANGE_PATH = '/api/v1/auth/exchange';

// linkToken reads the token from #token=, #t= or ?token= and removes it
// from the address bar, so that it is not bookmarked, shared or shown.
export function linkToken() {
  const hash = new URLSearchParams(location.hash.replace(/^#/, ''));
  const query = new URLSearchParams(location.search);
  const token = hash.get('token') || hash.get('t') || query.get('token') || query.get('t');
  if (token || location.hash || location.search) history.replaceState(null, '', location.pathname);
  return token || '';
}

function fromToken(token, expiresAt) {
  const c = tokenClaims(token);
  return {
    token,
    responder_id: c.sub || '',
    expires_at: expiresAt || (c.exp ? new Date(c.exp * 1000).toISOString() : ''),
  };
}

export function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    if (s && s.token && (!s.expires_at || Date.parse(s.expires_at) > Date.now())) return s;
  } catch {
    // fall through
  }
  return null;
}

// clearSession forgets the session here and on the device, with what was
// kept beside it.
export function clearSession() {
  sessionStorage.removeItem(KEY);
  return forget('session', 'snapshot', 'push');
}

// keepOnDevice keeps the session in IndexedDB for the installed app and the
// service worker. A session that is the link's own token (a server without
// the exchange) is never kept. It reports whether it kept it.
export async function keepOnDevice(s) {
  if (!s || !s.exchanged) return false;
  await keep('session', { token: s.token, responder_id: s.responder_id, expires_at: s.expires_at, exchanged: true });
  return true;
}

// keptSession is the session kept on the device, if it is still valid.
export async function keptSession() {
  const s = await kept('session');
  if (s && s.token && s.responder_id && (!s.expires_at || Date.parse(s.expires_at) > Date.now())) return s;
  return null;
}

// obtainSession returns the session of this tab, starting one from the
// link when the page was opened from it, else the one kept on the device
// (the installed app opens without the link).
export async function obtainSession(features) {
  const link = linkToken();
  if (!link) {
    const s = loadSession() || await keptSession();
    if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
    return s;
  }
  let s = fromToken(link);
  if (features.has('post', EXCHANGE_PATH)) {
    const res = await fetch(EXCHANGE_PATH, {
      method: 'POST',
      headers: { Authorization: `Bearer ${link}`, 'Content-Type': 'application/json' },
      body: '{}',
    });
    if (!res.ok) return null;
    const body = await res.json();
    s = fromToken(body.token, body.expires_at);
    s.exchanged = true;
    if (body.responder_id) s.responder_id = body.responder_id;
  }
  if (!s.responder_id) return null;
  sessionStorage.setItem(KEY, JSON.stringify(s));
  return s;
}

// renewSession trades the session token for a fresh one, so that a phone in
// use through a long response is not logged out at the end of a day. It
// rejects with the HTTP status when the server refuses (401: the session
// is over).
export async function renewSession(s) {
  const res = await fetch(EXCHANGE_PATH, {
    method: 'POST',
    headers: { Authorization: `Bearer ${s.token}`, 'Content-Type': 'application/json' },
    body: '{}',
  });
  if (!res.ok) {
    const err = new Error(`session renewal refused (${res.status})`);
    err.status = res.status;
    throw err;
  }
  const body = await res.json();
  const next = fromToken(body.token, body.expires_at);
  next.responder_id = body.responder_id || s.responder_id;
  next.exchanged = true;
  sessionStorage.setItem(KEY, JSON.stringify(next));
  if (await keptSession()) await keepOnDevice(next);
  return next;
}

// renewIn is how long to wait before renewing: until an hour before the
// end, or a quarter of the time left when that is shorter.
export function renewIn(s, now = Date.now()) {
  const left = Date.parse(s.expires_at) - now;
  if (!(left > 0)) return 0;
  return left - Math.min(60 * 60 * 1000, left / 4);
}
