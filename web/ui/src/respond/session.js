// The responder's session: the page is opened from a link carrying the
// responder's token (/respond#token=...). The token is taken out of the
// address bar at once, exchanged for a session token where the server
// offers that, and kept in sessionStorage for this tab only.
import { tokenClaims } from '../lib/api.js';

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

export function clearSession() {
  sessionStorage.removeItem(KEY);
}

// obtainSession returns the session of this tab, starting one from the
// link when the page was opened from it.
export async function obtainSession(features) {
  const link = linkToken();
  if (!link) return loadSession();
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
  sessionStorage.setItem(KEY, JSON.stringify(next));
  return next;
}

// renewIn is how long to wait before renewing: until an hour before the
// end, or a quarter of the time left when that is shorter.
export function renewIn(s, now = Date.now()) {
  const left = Date.parse(s.expires_at) - now;
  if (!(left > 0)) return 0;
  return left - Math.min(60 * 60 * 1000, left / 4);
}
