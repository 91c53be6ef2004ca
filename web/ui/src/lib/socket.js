// LiveSocket keeps one websocket to /ws open: it reconnects with backoff,
// at once when the network or the page comes back, and after a long sleep
// it replaces a socket that may be dead without knowing it. Every message
// is the envelope {"v":1,"type","id","ts","data"}.

const MAX_BACKOFF_MS = 15000;
const SLEEP_MS = 20000; // hidden this long: assume the socket died meanwhile

export class LiveSocket {
  // opts: token() -> string, lastID() -> string (optional),
  // onOpen(), onMessage(env), onState(state: 'connecting'|'open'|'closed'),
  // verify() -> Promise, rejecting with a 401 when the token is dead,
  // onReplaced() when another screen of the same person took its place,
  // params: extra query parameters, e.g. { frames: 'events' } for a console
  // that takes its events gathered (an "events" frame is unpacked here, so
  // onMessage always sees one envelope).
  constructor(opts) {
    this.opts = opts;
    this.ws = null;
    this.failures = 0;
    this.timer = null;
    this.stopped = true;
    this.seq = 0;
    this.hiddenAt = 0;
    this.onVisibility = () => this.visibilityChanged();
    this.onOnline = () => this.reconnectNow();
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    document.addEventListener('visibilitychange', this.onVisibility);
    window.addEventListener('online', this.onOnline);
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    document.removeEventListener('visibilitychange', this.onVisibility);
    window.removeEventListener('online', this.onOnline);
    if (this.ws) this.ws.close(1000, 'bye');
    this.ws = null;
    this.state('closed');
  }

  get open() {
    return Boolean(this.ws && this.ws.readyState === WebSocket.OPEN);
  }

  // send writes one message and returns its id (for matching an "error"
  // reply), or null when the socket is not open.
  send(type, data) {
    if (!this.open) return null;
    const id = `c${Date.now().toString(36)}-${++this.seq}`;
    this.ws.send(JSON.stringify({ v: 1, type, id, data }));
    return id;
  }

  reconnectNow() {
    if (this.stopped) return;
    clearTimeout(this.timer);
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) {
      this.ws.onclose = null;
      this.ws.close(1000, 'reconnecting');
      this.ws = null;
    }
    this.failures = 0;
    this.connect();
  }

  visibilityChanged() {
    if (document.visibilityState === 'hidden') {
      this.hiddenAt = Date.now();
      return;
    }
    const slept = this.hiddenAt && Date.now() - this.hiddenAt > SLEEP_MS;
    this.hiddenAt = 0;
    if (slept || !this.open) this.reconnectNow();
  }

  url() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const q = new URLSearchParams({ access_token: this.opts.token() });
    const last = this.opts.lastID && this.opts.lastID();
    if (last) q.set('last_id', last);
    for (const [k, v] of Object.entries(this.opts.params || {})) q.set(k, v);
    return `${proto}//${location.host}/ws?${q}`;
  }

  connect() {
    if (this.stopped) return;
    this.state('connecting');
    const ws = new WebSocket(this.url());
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.failures = 0;
      this.state('open');
      if (this.opts.onOpen) this.opts.onOpen();
    };
    ws.onmessage = (ev) => {
      let env;
      try {
        env = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (!env || typeof env.type !== 'string') return;
      if (env.type === 'events' && env.data && Array.isArray(env.data.events)) {
        // A coalescing window's events, oldest first: each as if alone.
        for (const e of env.data.events) {
          if (e && typeof e.type === 'string') this.opts.onMessage(e);
        }
        return;
      }
      this.opts.onMessage(env);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.state('closed');
      if (ev.code === 1008 && /token/i.test(ev.reason || '')) {
        // The server closed for policy: the token is no longer valid.
        this.stopped = true;
        if (this.opts.onUnauthorized) this.opts.onUnauthorized();
        return;
      }
      if (ev.code === 4001) {
        // The same person opened more sockets than the server keeps and
        // this, the oldest, was closed. Reconnecting would close another
        // screen of theirs, which would reconnect and close this one: stay
        // closed until the person chooses this screen (start() again).
        this.stopped = true;
        if (this.opts.onReplaced) this.opts.onReplaced();
        return;
      }
      if (!opened) this.failures++;
      this.schedule();
    };
  }

  // schedule retries with exponential backoff and jitter. A handshake that
  // fails again and again may be a dead token: ask the API, which can tell.
  schedule() {
    if (this.stopped) return;
    const base = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(this.failures, 5));
    const delay = base / 2 + Math.random() * (base / 2);
    if (this.failures >= 3 && this.opts.verify) {
      this.opts.verify().catch((err) => {
        if (err && err.status === 401) {
          this.stopped = true;
          if (this.opts.onUnauthorized) this.opts.onUnauthorized();
        }
      });
    }
    this.timer = setTimeout(() => this.connect(), delay);
  }

  state(s) {
    if (this.opts.onState) this.opts.onState(s);
  }
}
