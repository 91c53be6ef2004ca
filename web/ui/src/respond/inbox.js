// Inbox bookkeeping: the id of the last durable message handled (kept so
// that a reconnect asks for what came after it), acks to let the server
// trim, and the list of what arrived while the phone was away.

const KEY = 'liandong.respond.last_id';
const ACK_DELAY_MS = 800;
export const INBOX_TYPES = new Set(['offer', 'offer_withdrawn', 'assignment', 'alert', 'message', 'field_status', 'nudge', 'standby']);

// compareIDs orders stream ids "ms-seq".
export function compareIDs(a, b) {
  const [am, as] = String(a).split('-').map(Number);
  const [bm, bs] = String(b).split('-').map(Number);
  return am - bm || (as || 0) - (bs || 0);
}

export class Inbox {
  constructor(send) {
    this.send = send;
    this.lastID = sessionStorage.getItem(KEY) || '';
    this.ackTimer = null;
  }

  // take reports whether a durable message is new, and records it.
  take(env) {
    if (!env.id || !/^\d+-\d+$/.test(env.id)) return true;
    if (this.lastID && compareIDs(env.id, this.lastID) <= 0) return false;
    this.lastID = env.id;
    sessionStorage.setItem(KEY, env.id);
    clearTimeout(this.ackTimer);
    this.ackTimer = setTimeout(() => this.send('ack', { id: this.lastID }), ACK_DELAY_MS);
    return true;
  }

  // forget drops the position, after the server said it no longer has it.
  forget() {
    this.lastID = '';
    sessionStorage.removeItem(KEY);
  }
}
