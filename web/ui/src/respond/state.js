// What the responder page is showing (offers, the job in hand), kept in
// sessionStorage so that a reload or a discarded tab comes back the same:
// acked inbox messages are not sent again. seenAt is when the server last
// confirmed it (ms), for the "last known" note while offline.

const KEY = 'liandong.respond.state';

export function loadState() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    if (s && typeof s === 'object') return { offers: s.offers || {}, jobs: s.jobs || {}, log: s.log || [], seenAt: s.seenAt || 0 };
  } catch {
    // fall through
  }
  return { offers: {}, jobs: {}, log: [], seenAt: 0 };
}

export function saveState(s) {
  sessionStorage.setItem(KEY, JSON.stringify({ offers: s.offers, jobs: s.jobs, log: s.log.slice(-30), seenAt: s.seenAt || 0 }));
}
