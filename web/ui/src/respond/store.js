// What the responder page keeps on the device for the installed app and
// its service worker, in IndexedDB (which a worker can read; sessionStorage
// it cannot). Kept only once the responder installs the app or turns on
// notifications, and cleared when the session ends:
//   'session'  {token, responder_id, expires_at}: the session token, never the link's
//   'prefs'    {lang, time_zone}: how the worker speaks
//   'push'     {id, endpoint}: this device's subscription on the server
//   'snapshot' {responder_id, offers, jobs, seen_at}: the last known offers and jobs

const DB = 'liandong-respond';
const STORE = 'kept';

let opening = null;

function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    }).catch((err) => {
      opening = null;
      throw err;
    });
  }
  return opening;
}

async function run(mode, use) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const req = use(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(req && req.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

// kept reads one record (undefined when absent or IndexedDB is refused).
export function kept(key) {
  return run('readonly', (s) => s.get(key)).catch(() => undefined);
}

export function keep(key, value) {
  return run('readwrite', (s) => s.put(value, key));
}

export function forget(...keys) {
  return run('readwrite', (s) => {
    for (const k of keys) s.delete(k);
  }).catch(() => {});
}
