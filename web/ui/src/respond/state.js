// What the responder page is showing (offers, the job in hand), kept in
// sessionStorage so that a reload or a discarded tab comes back the same:
// acked inbox messages are not sent again.

const KEY = 'liandong.respond.state';

export function loadState() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    if (s && typeof s === 'object') return { offers: s.offers || {}, jobs: s.jobs || {}, log: s.log || [] };
  } catch {
    // fall through
  }
  return { offers: {}, jobs: {}, log: [] };
}

export function saveState(s) {
  sessionStorage.setItem(KEY, JSON.stringify({ offers: s.offers, jobs: s.jobs, log: s.log.slice(-30) }));
}
