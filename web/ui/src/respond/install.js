// The installable responder app: the page registers its service worker,
// links the manifest in its own language, and keeps the session, the
// language and the last known offers and jobs on the device (store.js)
// once the app is installed or notifications are on: the installed app
// opens without the link, and opens offline with what it last knew.
import { lang, onLangChange, timeZone } from '../lib/i18n.js';
import { MANIFESTS } from './manifest.js';
import { wireLang } from './notice.js';
import { forget, keep, kept } from './store.js';
import { keepOnDevice, keptSession } from './session.js';

export const WORKER = '/static/respond-sw.js';
export const SCOPE = '/respond';
const SNAPSHOT_DELAY_MS = 500;

// registerWorker registers the service worker; null where the browser has
// none (or refuses it: an insecure origin, a private window).
export function registerWorker() {
  if (!('serviceWorker' in navigator)) return Promise.resolve(null);
  return navigator.serviceWorker.register(WORKER, { scope: SCOPE }).catch(() => null);
}

// installed: the page runs as the installed app, not in a browser tab.
export function installed() {
  return window.matchMedia('(display-mode: standalone)').matches || navigator.standalone === true;
}

// linkManifest points the manifest link at the manifest in the page's
// language, so that the app installs under its name in that language.
function linkManifest() {
  const link = document.querySelector('link[rel=manifest]');
  if (!link) return;
  const url = new URL(link.href, location.href);
  url.pathname = `/static/${MANIFESTS[lang()] || MANIFESTS['zh-CN']}`;
  link.href = url.pathname + url.search;
}

export class Device {
  // session returns the page's current session.
  constructor(session) {
    this.session = session;
    this.kept = false; // the session is kept on the device
    this.timer = 0;
  }

  async start() {
    linkManifest();
    const s = await keptSession();
    this.kept = Boolean(s && s.responder_id === this.session().responder_id);
    if (installed()) await this.keep();
    window.addEventListener('appinstalled', () => this.keep());
    onLangChange(() => {
      linkManifest();
      if (this.kept) this.savePrefs();
    });
    registerWorker(); // in the background: the page does not wait for the worker's script
  }

  // keep keeps the session and the language on the device; false when it
  // cannot (a session that is the link's own token is never kept).
  async keep() {
    try {
      if (await keepOnDevice(this.session())) {
        this.kept = true;
        await this.savePrefs();
      }
    } catch {
      this.kept = false; // IndexedDB refused: the tab works as before
    }
    return this.kept;
  }

  savePrefs() {
    return keep('prefs', { lang: wireLang(lang()), time_zone: timeZone() }).catch(() => {});
  }

  // release forgets the session on the device again, unless the app is
  // installed (which needs it to open).
  async release() {
    if (installed()) return;
    this.kept = false;
    await forget('session', 'snapshot');
  }

  // forgetAll is for a session that ended.
  forgetAll() {
    this.kept = false;
    clearTimeout(this.timer);
  }

  // snapshot keeps the offers and jobs shown, shortly after the last change.
  snapshot(state) {
    if (!this.kept) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const { offers, jobs, log, seenAt } = state;
      keep('snapshot', { responder_id: this.session().responder_id, offers, jobs, log: log.slice(-30), seen_at: seenAt || 0 }).catch(() => {});
    }, SNAPSHOT_DELAY_MS);
  }

  // lastKnown is the snapshot kept for this responder, or null.
  async lastKnown() {
    const s = await kept('snapshot');
    return s && s.responder_id === this.session().responder_id ? s : null;
  }
}
