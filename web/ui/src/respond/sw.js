// The responder page's service worker (/static/respond-sw.js, scope
// /respond). It keeps the app shell so that the page opens without a
// network (the page itself shows the last known offers and jobs, kept
// beside the session: store.js), and turns a pushed offer into a
// notification the responder can answer from the lock screen.
//
// The build (build.mjs) defines __SHELL__, the shell's URLs, and
// __VERSION__, a hash of their contents: a new deploy is a new worker with
// a new cache, and the old cache goes when it takes over.
import { kept, forget } from './store.js';
import { answerNotice, messageNotice, offerNotice } from './notice.js';

/* global __SHELL__, __VERSION__ */
const SHELL = __SHELL__;
const CACHE = `liandong-respond-${__VERSION__}`;
const CACHED_API = ['/api/v1/openapi.json']; // what the page asks before it knows the server

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(SHELL.map((url) => new Request(url, { cache: 'no-cache' })));
    // What the server offers, for a page opened offline; without it the
    // page offers less, nothing breaks.
    await Promise.all(CACHED_API.map((url) => cache.add(new Request(url, { cache: 'no-cache' })).catch(() => {})));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('liandong-respond-') && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

// fetch: the shell and the API description network-first (the browser's
// own cache makes that cheap), falling back to what the worker kept;
// everything else (the API's answers, the socket) is left alone.
self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  const shell = req.mode === 'navigate' ? url.pathname === '/respond' : SHELL.includes(url.pathname);
  if (!shell && !CACHED_API.includes(url.pathname)) return;
  event.respondWith(networkFirst(req, url.pathname));
});

async function networkFirst(req, key) {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetch(req);
    if (res.ok && res.type === 'basic') await cache.put(key, res.clone());
    return res;
  } catch (err) {
    const hit = await cache.match(key);
    if (hit) return hit;
    throw err;
  }
}

// --- notifications ------------------------------------------------------

async function prefs() {
  return (await kept('prefs')) || {};
}

function authorised(session) {
  return { Authorization: `Bearer ${session.token}`, 'Content-Type': 'application/json', Accept: 'application/json' };
}

self.addEventListener('push', (event) => {
  let data = null;
  try {
    data = event.data ? event.data.json() : null;
  } catch {
    data = null;
  }
  if (data && data.type === 'message' && data.message_id) {
    event.waitUntil(showMessage(data)); // a message waits in the inbox
    return;
  }
  if (!data || data.type !== 'offer' || !data.offer_id) return;
  event.waitUntil(showOffer(data));
});

async function showMessage(msg) {
  const p = await prefs();
  const n = messageNotice(msg, p.lang);
  await self.registration.showNotification(n.title, n.options);
}

async function showOffer(offer) {
  const p = await prefs();
  const n = offerNotice(offer, p.lang, p.time_zone);
  await self.registration.showNotification(n.title, n.options);
  // The receipt tells the server the push reached this phone (so no SMS
  // follows); a failure changes nothing here.
  const session = await kept('session');
  if (!session || session.responder_id !== offer.responder_id) return;
  const path = `/api/v1/responders/${encodeURIComponent(offer.responder_id)}/offers/${encodeURIComponent(offer.offer_id)}/received`;
  await fetch(path, { method: 'POST', headers: authorised(session), body: '{}' }).catch(() => {});
}

// answerFromNotification answers the offer a notification is about
// ("accept" or "decline") with the session kept on the device, and says
// what became of it in a short notification. It returns the outcome:
// accepted, declined, closed, signed_out or not_sent. The notificationclick
// listener calls it; browser tests call it too (a test cannot press a
// notification's button).
self.answerFromNotification = async (offer, action) => {
  const verb = action === 'accept' ? 'accept' : 'decline';
  const p = await prefs();
  const session = await kept('session');
  let outcome = 'not_sent';
  if (!session || !session.token) {
    outcome = 'signed_out';
  } else {
    try {
      const res = await fetch(`/api/v1/offers/${encodeURIComponent(offer.offer_id)}/${verb}`, { method: 'POST', headers: authorised(session), body: '{}' });
      if (res.ok) outcome = verb === 'accept' ? 'accepted' : 'declined';
      else if (res.status === 401) outcome = 'signed_out';
      else if (res.status === 404 || res.status === 409) outcome = 'closed';
      if (res.status === 409 && verb === 'accept') {
        const body = await res.json().catch(() => ({}));
        if (body.state === 'accepted') outcome = 'accepted'; // answered before, from elsewhere
      }
    } catch {
      outcome = 'not_sent';
    }
  }
  if (outcome === 'signed_out') await forget('session', 'snapshot', 'push');
  const n = answerNotice(offer, outcome, p.lang);
  await self.registration.showNotification(n.title, n.options);
  return outcome;
};

self.addEventListener('notificationclick', (event) => {
  const n = event.notification;
  n.close();
  const data = n.data || {};
  if ((event.action === 'accept' || event.action === 'decline') && data.offer_id) {
    event.waitUntil(self.answerFromNotification(data, event.action));
    return;
  }
  event.waitUntil(openPage());
});

async function openPage() {
  const open = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const page = open.find((c) => new URL(c.url).pathname === '/respond');
  if (page) return page.focus();
  return self.clients.openWindow('/respond');
}
