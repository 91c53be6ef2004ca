// Where the responder is: navigator.geolocation.watchPosition when the
// phone allows it, else a pin the responder puts on the map ("I am here").
// Positions are reported when they move or every few minutes, so that the
// server's index keeps the responder fresh.

const MIN_GAP_MS = 10000;
const MIN_MOVE_M = 25;
const REFRESH_MS = 120000;

function metres(a, b) {
  const rad = Math.PI / 180;
  const x = (b.lng - a.lng) * rad * Math.cos(((a.lat + b.lat) / 2) * rad);
  const y = (b.lat - a.lat) * rad;
  return Math.sqrt(x * x + y * y) * 6371000;
}

export class Locator {
  // report(pos) sends a position; onChange(state) redraws:
  // state = {mode: 'gps'|'manual'|'waiting'|'denied'|'unsupported', pos, accuracy}
  constructor(report, onChange) {
    this.report = report;
    this.onChange = onChange;
    this.pos = null;
    this.sent = null;
    this.sentAt = 0;
    this.mode = 'waiting';
    this.watch = null;
    setInterval(() => this.resend(), REFRESH_MS);
  }

  start() {
    if (!('geolocation' in navigator)) {
      this.set('unsupported');
      return;
    }
    this.watch = navigator.geolocation.watchPosition(
      (p) => this.fix({ lat: p.coords.latitude, lng: p.coords.longitude }, 'gps', p.coords.accuracy),
      (err) => { if (this.mode !== 'manual') this.set(err.code === 1 ? 'denied' : 'unavailable'); },
      { enableHighAccuracy: true, maximumAge: 15000, timeout: 30000 },
    );
  }

  // pin is the manual fallback: the responder says where they are.
  pin(latlng) {
    if (this.watch !== null) {
      navigator.geolocation.clearWatch(this.watch);
      this.watch = null;
    }
    this.fix({ lat: latlng.lat, lng: latlng.lng }, 'manual', null, true);
  }

  // useGPS goes back from a manual pin to the phone's position.
  useGPS() {
    this.set('waiting');
    this.start();
  }

  set(mode) {
    this.mode = mode;
    this.onChange({ mode, pos: this.pos, accuracy: this.accuracy });
  }

  fix(pos, mode, accuracy, force = false) {
    this.pos = pos;
    this.accuracy = accuracy;
    this.set(mode);
    const now = Date.now();
    const moved = !this.sent || metres(this.sent, pos) >= MIN_MOVE_M;
    if (force || (moved && now - this.sentAt >= MIN_GAP_MS) || !this.sent) this.send();
  }

  resend() {
    if (this.pos) this.send();
  }

  send() {
    this.sent = this.pos;
    this.sentAt = Date.now();
    this.report(this.pos);
  }
}
